/**
 * The `workflow` and `mailbox` commands: argv in, exit code out. The only module that writes
 * to the process's streams, installs signal handlers or decides exit codes.
 */
import { formatProblem, PlanspaceError, ScheduleSyntaxError } from '../errors.js';
import { flushStream, guardStream, type GuardedStream } from './broken-pipe.js';
import { EXIT, exitCodeFor, isSystemError } from './exit-codes.js';
import { parseVerbArgs } from './fast-argv.js';
import { markCommand, retryCommand } from './mark.js';
import { nextCommand } from './next.js';
import { parseCommand } from './parse.js';
import { statusCommand } from './status.js';
import type { CommonOptions, VerbDefinition, VerbIO, VerbOutput } from './verb.js';

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

/**
 * Set by `main`: the process's streams watched for EPIPE. Writes to a stream whose reader is
 * gone are dropped, and `flush` rejects with `OutputClosedError`.
 */
let guards: { readonly stdout: GuardedStream; readonly stderr: GuardedStream } | undefined;

const processStreams: CliStreams = {
  stdout: (chunk) => {
    if (guards?.stdout.closed !== true) process.stdout.write(chunk);
  },
  stderr: (text) => {
    if (guards?.stderr.closed !== true) process.stderr.write(text);
  },
  flush: () =>
    guards === undefined
      ? new Promise((resolve) =>
          process.stdout.write('', () => {
            resolve();
          }),
        )
      : flushStream(process.stdout, guards.stdout, 'standard output'),
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

/**
 * The verbs shells and agents call most, by program and name: they run without commander when
 * `parseVerbArgs` understands the call. Each loads only its own module.
 */
const HOT_VERBS: Readonly<Record<ProgramName, Readonly<Record<string, (io: VerbIO) => Promise<VerbDefinition>>>>> = {
  workflow: {
    next: (io) => Promise.resolve(nextCommand(io)),
    status: (io) => Promise.resolve(statusCommand(io)),
    parse: (io) => Promise.resolve(parseCommand(io)),
    done: (io) => Promise.resolve(markCommand(io, 'done')),
    fail: (io) => Promise.resolve(markCommand(io, 'fail')),
    skip: (io) => Promise.resolve(markCommand(io, 'skip')),
    retry: (io) => Promise.resolve(retryCommand(io)),
    // Not for start-up alone: loading commander was about 30 ms before the first agent of a run.
    run: async (io) => (await import('./run.js')).runCommand(io),
  },
  mailbox: {
    send: (io) => mailboxVerb(io, 'send'),
    recv: (io) => mailboxVerb(io, 'recv'),
    check: (io) => mailboxVerb(io, 'check'),
  },
};

async function mailboxVerb(io: VerbIO, name: string): Promise<VerbDefinition> {
  const verbs = (await import('./mailbox.js')).mailboxCommands(io);
  const verb = verbs.find((each) => each.spec.usage.startsWith(`${name} `));
  if (!verb) throw new Error(`no mailbox verb ${name}`);
  return verb;
}

/**
 * Runs a hot verb without commander, if `argv` is a call `parseVerbArgs` understands
 * (`workflow mailbox <verb>` counts as `mailbox <verb>`).
 *
 * @returns true if it ran the verb; false if commander must parse `argv`.
 */
async function runHotVerb(program: ProgramName, argv: readonly string[], io: VerbIO): Promise<boolean> {
  const [name = '', ...rest] = argv;
  if (program === 'workflow' && name === 'mailbox') return runHotVerb('mailbox', rest, io);
  const load = Object.hasOwn(HOT_VERBS[program], name) ? HOT_VERBS[program][name] : undefined;
  if (!load) return false;
  const verb = await load(io);
  const parsed = parseVerbArgs(verb.spec, rest);
  if (!parsed) return false;
  await verb.run(parsed.positional, parsed.options);
  return true;
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
  const program = options.program ?? 'workflow';
  try {
    if (await runHotVerb(program, argv, io)) return exitCode;
    // Help, usage errors and the other verbs: commander, loaded only now.
    const { runProgram } = await import('./program.js');
    return (await runProgram(program, io, streams, argv)) ?? exitCode;
  } catch (error) {
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
  // Kept to the end: a write's EPIPE may be reported after the verb has returned.
  guards ??= { stdout: guardStream(process.stdout), stderr: guardStream(process.stderr) };
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
