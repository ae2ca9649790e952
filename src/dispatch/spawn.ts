/**
 * Starting an agent process and stopping its whole process tree.
 *
 * Each agent starts detached, as the leader of a new process group, so that a timeout, an
 * abort or Ctrl-C kills everything it started (execa alone kills only the direct child). Its
 * standard input is the prompt file and its standard output and error go straight to the
 * output file: no pipe that a grandchild could hold open or that an agent not reading its
 * prompt could leave full, and no stream to pump per agent. The group is cleaned up when the
 * agent exits.
 */
import { open } from 'node:fs/promises';
import { NO_FOLLOW, openNoFollow } from '../fs/guard.js';
import type { AgentCommand } from './command.js';

/** How an agent process ended. */
export interface AgentExit {
  /** The exit code, or undefined when a signal ended it. */
  readonly exitCode: number | undefined;
  /** The signal that ended it, e.g. `SIGTERM`. */
  readonly signal: string | undefined;
  /** Stopped because `timeoutMs` passed. */
  readonly timedOut: boolean;
  /** Stopped because the caller's signal aborted, or `stop()` was called. */
  readonly stopped: boolean;
  /** The command could not be started (e.g. not found); `exitCode` is then undefined. */
  readonly failedToStart?: string;
  /** Wall time from start to exit, in ms. */
  readonly durationMs: number;
}

/** Options of `startAgent`. */
export interface StartOptions {
  /** Working directory: the codespace. */
  readonly cwd: string;
  /** File receiving standard output and error. */
  readonly outputFile: string;
  /** Append to `outputFile` instead of replacing it. Default false. */
  readonly append?: boolean;
  /** Kill the process tree after this many ms. Default: no limit. */
  readonly timeoutMs?: number;
  /** Kill the process tree when aborted. */
  readonly signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL when stopping, in ms. Default 2000. */
  readonly killGraceMs?: number;
}

/** A started agent: its pid, how it ends, and how to stop it. */
export interface RunningAgent {
  readonly pid: number | undefined;
  readonly exit: Promise<AgentExit>;
  /** Stops the whole process tree (SIGTERM, then SIGKILL after the grace time). */
  stop(): Promise<AgentExit>;
}

/** Signals every process of a group; false if the group no longer exists. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Starts an agent without a shell.
 *
 * @throws {UnsafePathError} if the output file is a symbolic link: it would take the agent's
 *   output outside the planspace.
 * @throws the `fs` error if the input file cannot be read or the output file cannot be
 *   opened; a command that cannot be started resolves `exit` with `failedToStart` instead.
 */
export async function startAgent(command: AgentCommand, options: StartOptions): Promise<RunningAgent> {
  const { execa } = await import('execa');
  const input = command.inputFile === undefined ? undefined : await open(command.inputFile, 'r');
  let output;
  try {
    output = await openNoFollow(options.outputFile, options.append ? NO_FOLLOW.append : NO_FOLLOW.replace);
  } catch (error) {
    await input?.close();
    throw error;
  }
  const started = performance.now();
  // execa's types list only descriptors 3 to 9 here; at run time it passes any open file
  // descriptor straight to the child, which is what keeps pipes out of the picture.
  const fd = output.fd as 3;
  const child = execa(command.file, [...command.args], {
    cwd: options.cwd,
    env: command.env,
    extendEnv: false,
    detached: true,
    stdin: input === undefined ? 'ignore' : (input.fd as 3),
    stdout: fd,
    stderr: fd,
    reject: false,
  });
  // The child has its own copy of the descriptor from the moment it was spawned.
  await input?.close();
  const pid = child.pid;
  const state = { timedOut: false, stopped: false };
  const grace = options.killGraceMs ?? 2000;
  let killTimer: NodeJS.Timeout | undefined;

  const killTree = (): void => {
    if (pid === undefined) return;
    if (!signalGroup(pid, 'SIGTERM')) return;
    killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), grace);
  };
  const timeout =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          state.timedOut = true;
          killTree();
        }, options.timeoutMs);
  const onAbort = (): void => {
    state.stopped = true;
    killTree();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const exit = child.then(async (result): Promise<AgentExit> => {
    clearTimeout(timeout);
    options.signal?.removeEventListener('abort', onAbort);
    // Whatever the agent left running in its group goes with it.
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    clearTimeout(killTimer);
    await output.close();
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: state.timedOut,
      stopped: state.stopped,
      failedToStart:
        result.failed && result.exitCode === undefined && result.signal === undefined ? result.shortMessage : undefined,
      durationMs: performance.now() - started,
    };
  });
  return {
    pid,
    exit,
    stop: () => {
      onAbort();
      return exit;
    },
  };
}
