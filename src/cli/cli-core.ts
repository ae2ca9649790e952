/**
 * The CLI's core, shared by both of its builds: argv in, exit code out. The only code that
 * writes to the process's streams, installs signal handlers or decides exit codes. Which verbs
 * run without commander, and what runs the rest, is the caller's: `main.ts` (the whole CLI) and
 * `hot.ts` (the schedule verbs alone, in a bundle that starts without the ES module loader).
 */
import { AddLimitError, formatProblem, PlanspaceError, ScheduleSyntaxError } from '../errors.js';
import { printable } from '../text/printable.js';
import { flushStream, guardStream, OutputClosedError, type GuardedStream } from './broken-pipe.js';
import { directStdout, type DirectStdout } from './direct-stdout.js';
import { EXIT, exitCodeFor, isSystemError } from './exit-codes.js';
import { parseVerbArgs } from './fast-argv.js';
import type { CommonOptions, VerbDefinition, VerbIO, VerbOptions, VerbOutput } from './verb.js';

/** Where the CLI reads and writes; tests pass their own. */
export interface CliStreams {
  readonly stdout: (chunk: string | Uint8Array) => void;
  readonly stderr: (text: string) => void;
  /** Resolves once everything written to stdout has been handed to the operating system. */
  readonly flush: () => Promise<void>;
  readonly readStdin: () => Promise<Buffer>;
  /** True when stdout is a terminal. */
  readonly isTTY?: boolean;
  /** The terminal's width in columns, when stdout is a terminal. */
  readonly columns?: number;
  /** Standard input when it is a terminal, for typed answers. */
  readonly terminalInput?: NodeJS.ReadableStream;
}

/**
 * Set by `main`: the process's streams are watched for EPIPE. Writes to a stream whose reader
 * is gone are dropped, and `flush` rejects with `OutputClosedError`.
 */
let guarding = false;

/**
 * The watch of each process stream, made just before the first write to it: a stream never
 * written to (standard error, mostly) is never even opened, which costs a few ms of start-up.
 */
const guards: { stdout?: GuardedStream; stderr?: GuardedStream } = {};

/** The watch of process stream `name`, made on first use; undefined unless `main` runs. */
function guardOf(name: 'stdout' | 'stderr'): GuardedStream | undefined {
  if (!guarding) return undefined;
  return (guards[name] ??= guardStream(process[name]));
}

/**
 * Standard output while `main` runs: written directly (`writeSync`), so that a verb's line of
 * output does not make `process.stdout`; through it, watched, once a write would block.
 */
let stdoutWriter: DirectStdout | undefined;

/** The direct writer of standard output, made on first use; undefined unless `main` runs. */
function directOut(): DirectStdout | undefined {
  if (!guarding) return undefined;
  return (stdoutWriter ??= directStdout(1, (chunk) => {
    if (guardOf('stdout')?.closed !== true) process.stdout.write(chunk);
  }));
}

const processStreams: CliStreams = {
  stdout: (chunk) => {
    const direct = directOut();
    if (direct) direct.write(chunk);
    else process.stdout.write(chunk);
  },
  stderr: (text) => {
    if (guardOf('stderr')?.closed !== true) process.stderr.write(text);
  },
  flush: () => {
    const direct = directOut();
    if (direct === undefined) {
      return new Promise((resolve) =>
        process.stdout.write('', () => {
          resolve();
        }),
      );
    }
    if (direct.closed) return Promise.reject(new OutputClosedError('standard output'));
    // Direct writes have all reached the operating system already.
    if (direct.direct) return Promise.resolve();
    const guard = guardOf('stdout');
    return guard === undefined ? Promise.resolve() : flushStream(process.stdout, guard, 'standard output');
  },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
  get isTTY() {
    return process.stdout.isTTY;
  },
  get columns() {
    return process.stdout.isTTY ? process.stdout.columns : undefined;
  },
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

/**
 * The reason for a terminal: one line, or one per problem (schedule problems, preflight's
 * list). Messages quote what they refuse (an earlier answer, a schedule line), which may hold
 * control characters: those are shown escaped, newlines kept. `--json` keeps the exact message.
 */
function errorText(error: unknown): string {
  if (error instanceof ScheduleSyntaxError)
    return error.problems.map((problem) => printable(formatProblem(problem))).join('\n');
  return printable(error instanceof Error ? error.message : String(error), { keepNewlines: true });
}

/** The programs this module can run, by executable name. */
export type ProgramName = 'workflow' | 'mailbox';

/** Loads a verb (its module, then its definition bound to `io`). */
export type VerbLoader = (io: VerbIO) => Promise<VerbDefinition>;

/**
 * How a build of the CLI dispatches: `hot` are the verbs run without commander when
 * `parseVerbArgs` understands the call, by program and name; `fallback` runs every other call
 * (help, usage errors, the other verbs) and returns its exit code (undefined: the one emitted).
 */
export interface Dispatch {
  readonly hot: Readonly<Record<ProgramName, Readonly<Record<string, VerbLoader>>>>;
  readonly fallback: (
    program: ProgramName,
    io: VerbIO,
    streams: CliStreams,
    argv: readonly string[],
  ) => Promise<number | undefined>;
}

/**
 * The hot verb `argv` calls and its parsed arguments, if `parseVerbArgs` understands the call
 * (`workflow mailbox <verb>` counts as `mailbox <verb>`); undefined if commander must parse it.
 * Loads the verb's module, runs nothing.
 */
async function findHotVerb(
  dispatch: Dispatch,
  program: ProgramName,
  argv: readonly string[],
  io: VerbIO,
): Promise<{ verb: VerbDefinition; positional: readonly unknown[]; options: VerbOptions } | undefined> {
  const [name = '', ...rest] = argv;
  if (program === 'workflow' && name === 'mailbox') return findHotVerb(dispatch, 'mailbox', rest, io);
  const load = Object.hasOwn(dispatch.hot[program], name) ? dispatch.hot[program][name] : undefined;
  if (!load) return undefined;
  const verb = await load(io);
  const parsed = parseVerbArgs(verb.spec, rest);
  return parsed && { verb, ...parsed };
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
 * Runs the `workflow` (or `mailbox`) CLI, dispatching as `dispatch` says.
 *
 * @param argv - the arguments after the executable and script, e.g. `['next', './plan']`.
 * @returns the exit code: 0 success, 1 a named condition, 2 bad usage or input,
 *   3 blocked, 70 a bug.
 */
export async function runCliWith(
  dispatch: Dispatch,
  argv: readonly string[],
  options: RunOptions = {},
): Promise<number> {
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
    // Read when a verb asks: looking at standard output makes `process.stdout` (see `directOut`).
    get isTTY() {
      return streams.isTTY === true;
    },
    // Read at each redraw of the status line: the terminal's window may have been resized.
    get columns() {
      return streams.columns;
    },
    // Read when a verb asks: looking at standard input opens it, a few ms of every verb's start-up.
    get terminalInput() {
      return streams.terminalInput;
    },
    // The process's own SIGINT: the one handler (see `mainWith`) decides between abort and force.
    interrupt: () => {
      process.kill(process.pid, 'SIGINT');
    },
  };
  const program = options.program ?? 'workflow';
  try {
    const hot = await findHotVerb(dispatch, program, argv, io);
    if (!hot) return (await dispatch.fallback(program, io, streams, argv)) ?? exitCode;
    await hot.verb.run(hot.positional, hot.options);
    return exitCode;
  } catch (error) {
    if (io.signal.aborted) return EXIT.interrupted;
    const code = exitCodeFor(error);
    if (json) streams.stdout(`${JSON.stringify(errorJson(error))}\n`);
    if (code === EXIT.condition && !(error instanceof AddLimitError)) {
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
 * What `bin/workflow.js` and `bin/mailbox.js` run: the CLI on the process's argv,
 * turns SIGINT, SIGTERM and SIGHUP into an abort of the running verb, and sets the exit code.
 */
export async function mainWith(dispatch: Dispatch, program: ProgramName = 'workflow'): Promise<void> {
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
  guarding = true;
  try {
    process.exitCode = await runCliWith(dispatch, process.argv.slice(2), {
      program,
      signal: controller.signal,
      forceSignal: force.signal,
    });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}
