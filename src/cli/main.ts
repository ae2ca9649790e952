/**
 * The `workflow` and `mailbox` commands: argv in, exit code out. The only module that writes
 * to the process's streams, installs signal handlers or decides exit codes.
 */
import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { formatProblem, PlanspaceError, ScheduleSyntaxError } from '../errors.js';
import { PACKAGE_VERSION } from '../package-root.js';
import { checkCommand } from './check.js';
import { initCommand } from './init.js';
import { EXIT, exitCodeFor, isSystemError } from './exit-codes.js';
import { mailboxCommands } from './mailbox.js';
import { markCommand, retryCommand } from './mark.js';
import { nextCommand } from './next.js';
import { parseCommand } from './parse.js';
import { reportCommand } from './report.js';
import { abortCommand, answerCommand, questionsCommand, runCommand } from './run.js';
import { statusCommand } from './status.js';
import type { CommonOptions, VerbIO, VerbOutput } from './verb.js';

const version = PACKAGE_VERSION;

/** Where the CLI reads and writes; tests pass their own. */
export interface CliStreams {
  readonly stdout: (chunk: string | Uint8Array) => void;
  readonly stderr: (text: string) => void;
  /** Resolves once everything written to stdout has been handed to the operating system. */
  readonly flush: () => Promise<void>;
  readonly readStdin: () => Promise<Buffer>;
  /** True when stdout is a terminal. */
  readonly isTTY?: boolean;
  /** Standard input when it is a terminal, for typed answers. */
  readonly terminalInput?: NodeJS.ReadableStream;
}

const processStreams: CliStreams = {
  stdout: (chunk) => {
    process.stdout.write(chunk);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
  flush: () =>
    new Promise((resolve) =>
      process.stdout.write('', () => {
        resolve();
      }),
    ),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
  isTTY: process.stdout.isTTY,
  get terminalInput() {
    return process.stdin.isTTY ? process.stdin : undefined;
  },
};

/** The JSON form of an error, for `--json`. */
function errorJson(error: unknown): unknown {
  const code = error instanceof PlanspaceError ? error.code : isSystemError(error) ? error.code : 'E_INTERNAL';
  const problems = error instanceof ScheduleSyntaxError ? error.problems : undefined;
  return { error: { code, message: error instanceof Error ? error.message : String(error), problems } };
}

/** The one-line (or, for schedule problems, one-per-problem) reason for stderr. */
function errorText(error: unknown): string {
  if (error instanceof ScheduleSyntaxError) return error.problems.map(formatProblem).join('\n');
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The programs this module can run, by executable name. */
export type ProgramName = 'workflow' | 'mailbox';

/** Each program's verbs by name; a factory builds the verb's command only when it is needed. */
function verbFactories(name: ProgramName, io: VerbIO, output: OutputConfiguration): Map<string, () => Command> {
  const mailboxVerbs = (): Command[] => mailboxCommands(io);
  if (name === 'mailbox') return new Map(mailboxVerbs().map((verb) => [verb.name(), () => verb]));
  return new Map<string, () => Command>([
    ['next', () => nextCommand(io)],
    ['parse', () => parseCommand(io)],
    ['done', () => markCommand(io, 'done')],
    ['fail', () => markCommand(io, 'fail')],
    ['skip', () => markCommand(io, 'skip')],
    ['retry', () => retryCommand(io)],
    ['status', () => statusCommand(io)],
    ['check', () => checkCommand(io)],
    ['run', () => runCommand(io)],
    ['answer', () => answerCommand(io)],
    ['questions', () => questionsCommand(io)],
    ['report', () => reportCommand(io)],
    ['abort', () => abortCommand(io)],
    ['init', () => initCommand(io)],
    [
      'mailbox',
      () => {
        const group = new Command('mailbox').description('the mailbox verbs, as the `mailbox` command has them');
        for (const verb of mailboxVerbs()) group.addCommand(verb.exitOverride().configureOutput(output));
        return group;
      },
    ],
  ]);
}

/**
 * Builds the `workflow` or `mailbox` program. With `verb` naming one of its verbs, only that
 * verb is built: a verb call is mostly start-up, and building all of them costs several ms.
 */
function buildProgram(name: ProgramName, io: VerbIO, streams: CliStreams, verb?: string): Command {
  const output: OutputConfiguration = { writeOut: streams.stdout, writeErr: streams.stderr };
  const program = new Command(name)
    .version(version)
    .exitOverride()
    .configureOutput(output)
    .showHelpAfterError('(run with --help for usage)')
    .description(
      name === 'mailbox'
        ? 'planspace mailboxes: messages between agents, the engine and humans'
        : 'planspace: a file-based workflow engine for teams of AI coding agents',
    );
  const factories = verbFactories(name, io, output);
  const only = verb === undefined ? undefined : factories.get(verb);
  for (const make of only ? [only] : factories.values()) {
    program.addCommand(make().exitOverride().configureOutput(output));
  }
  return program;
}

/** Options of `runCli`. */
export interface RunOptions {
  /** Which program. Default `workflow`. */
  readonly program?: ProgramName;
  /** Where output goes. Default: the process's streams. */
  readonly streams?: CliStreams;
  /** Aborts long waits such as `recv`. */
  readonly signal?: AbortSignal;
  /** Aborted when the process is about to end at once (a second Ctrl-C); see `VerbIO.forceSignal`. */
  readonly forceSignal?: AbortSignal;
  /** Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs the `workflow` (or `mailbox`) CLI.
 *
 * @param argv - the arguments after the executable and script, e.g. `['next', './plan']`.
 * @returns the exit code: 0 success, 1 a named condition, 2 bad usage or input,
 *   3 blocked, 70 a bug.
 */
export async function runCli(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const streams = options.streams ?? processStreams;
  let exitCode: number = EXIT.ok;
  let json = argv.includes('--json');
  const emit = async (output: VerbOutput, verbOptions: CommonOptions): Promise<void> => {
    json = verbOptions.json === true;
    if (json) streams.stdout(`${JSON.stringify(output.json)}\n`);
    else {
      for (const note of output.notes ?? []) streams.stderr(`${note}\n`);
      streams.stdout(output.bytes ?? `${output.text}\n`);
    }
    exitCode = output.exitCode ?? EXIT.ok;
    if (output.afterWrite) {
      await streams.flush();
      await output.afterWrite();
    }
  };
  const io: VerbIO = {
    emit,
    signal: options.signal ?? new AbortController().signal,
    forceSignal: options.forceSignal ?? new AbortController().signal,
    readStdin: streams.readStdin,
    env: options.env ?? process.env,
    print: (text) => {
      streams.stdout(text);
    },
    note: (text) => {
      streams.stderr(text);
    },
    isTTY: streams.isTTY === true,
    terminalInput: streams.terminalInput,
  };
  try {
    await buildProgram(options.program ?? 'workflow', io, streams, argv[0]).parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      const shown = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      return shown ? EXIT.ok : EXIT.usage;
    }
    if (io.signal.aborted) return EXIT.interrupted;
    const code = exitCodeFor(error);
    if (json) streams.stdout(`${JSON.stringify(errorJson(error))}\n`);
    if (code === EXIT.condition) {
      if (!json) streams.stdout(`ERROR: ${errorText(error)}\n`);
    } else if (code === EXIT.bug) {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      streams.stderr(`${options.program ?? 'workflow'}: internal error (a bug; please report it):\n${detail}\n`);
    } else {
      streams.stderr(`${errorText(error)}\n`);
    }
    return code;
  }
}

/**
 * Entry point of `bin/workflow.js` and `bin/mailbox.js`: runs the CLI on the process's argv,
 * turns SIGINT, SIGTERM and SIGHUP into an abort of the running verb, and sets the exit code.
 */
export async function main(program: ProgramName = 'workflow'): Promise<void> {
  const controller = new AbortController();
  const force = new AbortController();
  // SIGHUP too: a closed terminal should stop a run as cleanly as Ctrl-C does.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  // Not `process.once`: proper-lockfile's signal-exit also listens, and re-raises a signal when it
  // finds no other listener. A `once` listener is already removed when signal-exit looks, so the
  // first SIGTERM killed the process before the abort could stop agents and reset the step.
  // A second signal still ends the process at once, as `once` meant it to, once the verb's
  // synchronous clean-up (`workflow run`: kill every agent, release the planspace) has run.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      controller.abort();
      return;
    }
    force.abort();
    for (const each of signals) process.off(each, onSignal);
    process.kill(process.pid, signal);
  };
  for (const signal of signals) process.on(signal, onSignal);
  try {
    process.exitCode = await runCli(process.argv.slice(2), {
      program,
      signal: controller.signal,
      forceSignal: force.signal,
    });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}
