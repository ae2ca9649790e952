/**
 * Starting an agent process and stopping its whole process tree.
 *
 * Each agent starts detached, as the leader of a new process group, so that a timeout, an
 * abort or Ctrl-C kills everything it started, not only the direct child. Its
 * standard input is the prompt file and its standard output and error go straight to the
 * output file: no pipe that a grandchild could hold open or that an agent not reading its
 * prompt could leave full, and no stream to pump per agent. The group is cleaned up when the
 * agent exits. Given an `AgentTree` (`trees.ts`), the agent carries its environment marker,
 * and stopping it kills every process it started, also those that left its process group
 * (`setsid`, a double fork).
 *
 * Started with `child_process.spawn`, not execa: with every descriptor a file, execa adds
 * nothing we use, and its ~40 ms of loading and ~1.5 ms per start were a third of what 64
 * parallel blocks cost beyond a bare Node script (issue 11).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { NO_FOLLOW, openNoFollowSync } from '../fs/guard.js';
import type { AgentCommand } from './command.js';
import type { AgentTree } from './trees.js';

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
  /**
   * Where the agent's processes are tracked; closed (every process left killed) when the agent
   * exits. Default: none, only the agent's process group is signalled.
   */
  readonly tree?: AgentTree;
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
export function startAgent(command: AgentCommand, options: StartOptions): RunningAgent {
  const tree = options.tree;
  // Plain descriptors, opened synchronously as the baseline script does: two thread-pool round
  // trips and a FileHandle per file cost more than the open itself (64 agents start at once).
  const input = command.inputFile === undefined ? undefined : openSync(command.inputFile, 'r');
  let output: number;
  try {
    output = openNoFollowSync(options.outputFile, options.append ? NO_FOLLOW.append : NO_FOLLOW.replace);
  } catch (error) {
    if (input !== undefined) closeSync(input);
    throw error;
  }
  // hrtime: monotonic, and no lazy load of Node's performance timer (~1 ms) before a first agent.
  const started = process.hrtime.bigint();
  const env = tree ? { ...command.env, ...tree.env } : command.env;
  const start = tree?.command(command.file, command.args, { cwd: options.cwd, path: env.PATH ?? '' }) ?? command;
  const child = spawn(start.file, [...start.args], {
    cwd: options.cwd,
    env,
    detached: true,
    stdio: [input ?? 'ignore', output, output],
  });
  // Settles once: 'exit' after a start, 'error' when the command could not start.
  const ended = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('exit', (exitCode, signal) => {
      resolve({ exitCode, signal });
    });
    child.once('error', (error) => {
      resolve({ exitCode: null, signal: null, error });
    });
  });
  // The child has its own copy of the descriptor from the moment it was spawned.
  if (input !== undefined) closeSync(input);
  const pid = child.pid;
  if (pid !== undefined) tree?.started(pid);
  const state = { timedOut: false, stopped: false };
  const grace = options.killGraceMs ?? 2000;
  let killTimer: NodeJS.Timeout | undefined;

  const signalTree = (signal: 'SIGTERM' | 'SIGKILL'): boolean => {
    if (tree) {
      tree.signal(signal);
      return true;
    }
    return pid !== undefined && signalGroup(pid, signal);
  };
  const killTree = (): void => {
    if (!signalTree('SIGTERM')) return;
    killTimer ??= setTimeout(() => signalTree('SIGKILL'), grace);
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

  const exit = ended.then(async (result): Promise<AgentExit> => {
    clearTimeout(timeout);
    options.signal?.removeEventListener('abort', onAbort);
    clearTimeout(killTimer);
    try {
      // Whatever the agent left running goes with it.
      if (tree) await tree.close();
      else if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    } finally {
      closeSync(output);
    }
    return {
      exitCode: result.exitCode ?? undefined,
      signal: result.signal ?? undefined,
      timedOut: state.timedOut,
      stopped: state.stopped,
      failedToStart: pid === undefined ? (result.error?.message ?? 'no process was started') : undefined,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
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
