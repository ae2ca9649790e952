/**
 * Keeping track of every process an agent starts, so that a timeout, an abort or a second
 * Ctrl-C kills all of them: also those that left the agent's process group with `setsid` or a
 * double fork (issue 10).
 *
 * Every agent's environment carries `PLANSPACE_AGENT=<engine pid>.<run id>/<dispatch run id>`
 * (see `marker.ts`), which all its descendants inherit; killing an agent's tree signals every
 * process carrying its token, plus its process group. Where the processes are looked for is
 * chosen once per run:
 *
 * - `cgroup`: the engine moves itself into a cgroup v2 of the run's own,
 *   `<engine's cgroup>/planspace-<engine pid>-<run id>/`, before it starts any agent. Every
 *   agent is then born inside it (no race between a start and a move: there is no move), and
 *   nothing they start can leave it. Sweeps read the run's `cgroup.procs`, not all of `/proc`;
 *   and when the run ends, or on a second Ctrl-C, whatever is left in it but the engine (also a
 *   process that cleared its environment) is killed, the engine moves back and the folder goes.
 *   The engine moves back earlier when told no agent is expected (`quiet`: the run's last
 *   agents all started), and in again before any agent that comes after all.
 *   An agent whose step has a timeout or stall (`open`'s `ownCgroup`) also gets a cgroup of
 *   its own below the run's, `unit-<dispatch run id>/`, which
 *   it enters itself before it runs: it starts as `/bin/sh -c 'echo $$ >…/cgroup.procs; exec
 *   "$@"'`, so the move happens before the agent's first instruction, and no process it starts
 *   can be born outside (a move made by the engine after the start would race a fast fork, and
 *   costs the engine's thread 5-60 ms of waiting for the kernel). Its timeout, stall or stop
 *   kills that cgroup (`cgroup.kill`): also a descendant that cleared its environment and left
 *   its session (`env -i setsid ...`), which the marker cannot find, dies with its agent rather
 *   than at the run's end. Should the agent's own move be refused, it stays in the run's cgroup.
 * - `environment`, where this process may not create cgroups (or `cgroups: false`): sweeps scan
 *   `/proc`. A process that clears its environment *and* leaves the agent's process group
 *   (`env -i setsid ...`) escapes this mode: it carries no marker, its parent is no longer the
 *   agent once that exits (it is reparented to init), and nothing else the kernel keeps ties it
 *   to the agent. Making the engine a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`) would
 *   keep such orphans its descendants, but Node offers no `prctl` without a native addon. Such
 *   a process lives until it exits; README says so.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../mailbox/liveness.js';
import {
  cgroupPids,
  createCgroup,
  moveInto,
  moveIntoLater,
  ownCgroupFolder,
  removeCgroup,
  removeCgroupNow,
  signalCgroup,
} from './cgroup.js';
import { commandExistsSync } from './locate.js';
import { AGENT_MARKER, markerValue, signalMarked } from './marker.js';

/** How a run tracks its agents' processes. */
export type TrackingMode = 'cgroup' | 'environment';

/** The processes of one agent. */
export interface AgentTree {
  /** Variables for the agent's environment (`PLANSPACE_AGENT`), laid over the rest. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The program and arguments to start for the agent's `file` and `args`: in `cgroup` mode, a
   * `/bin/sh` that moves itself into the agent's own cgroup and then `exec`s the agent (same
   * pid); else, or for a command that would not start (so that its start fails as it would
   * without the tree), `file` and `args` themselves.
   *
   * @param options.cwd - the agent's working folder; `options.path` - its `PATH`.
   */
  command(
    file: string,
    args: readonly string[],
    options: { cwd: string; path: string },
  ): { file: string; args: readonly string[] };
  /** Signals every process of the tree now (the agent's process group too, once `started`). */
  signal(signal: 'SIGTERM' | 'SIGKILL'): void;
  /** Records the agent's pid, the leader of its process group. */
  started(pid: number): void;
  /** SIGKILLs whatever is left of the tree (agents ending together share one sweep). */
  close(): Promise<void>;
}

/** Every agent tree of a run. */
export interface ProcessTrees {
  readonly mode: TrackingMode;
  /**
   * A tree for one agent; `name` (the dispatch's run id) must be unique in the run. Resolves
   * once the engine is in the run's cgroup.
   *
   * @param options.ownCgroup - in `cgroup` mode, give the agent a cgroup of its own below the
   *   run's (default true), so that it can be killed whole, escaped descendants included, while
   *   the run goes on (a timeout, a stall). Each such move costs the kernel several ms, and
   *   moves are serialised: 64 agents starting together took ~400 ms more. Without it, the
   *   agent's escaped descendants die with the run's cgroup, at the run's end.
   */
  open(name: string, options?: { readonly ownCgroup?: boolean }): Promise<AgentTree>;
  /**
   * Tells that no agent is expected to start for a while (the run's last agents have all
   * started): in `cgroup` mode the engine leaves the run's cgroup now, off this thread, rather
   * than when the run ends, where the move (5-10 ms of waiting for the kernel) held up the
   * exit. The agents stay inside. An `open` after it enters again before it resolves.
   */
  quiet(): void;
  /**
   * SIGKILLs every process of every tree of the run without yielding, for a process that is
   * about to end (a second Ctrl-C); blocks up to half a second for the run's cgroup to empty.
   */
  killAllNow(): void;
  /** Kills whatever is left of every tree and removes the run's cgroup. */
  close(): Promise<void>;
}

/** Options of `openProcessTrees`. */
export interface TreesOptions {
  /** The run id of the engine run; names its cgroup folder and marker tokens. */
  readonly runId: string;
  /** Use cgroup v2 where this process may. Default true; false: the environment marker only. */
  readonly cgroups?: boolean;
  /** The environment agents inherit, for an outer engine's marker. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The prefix of run cgroup folders: `planspace-<engine pid>-<run id>`. */
const FOLDER_PREFIX = 'planspace-';

/**
 * The agent's first moments in `cgroup` mode: `$0` is its cgroup's `cgroup.procs`, `"$@"` the
 * agent. A refused move (the folder gone) leaves it in the run's cgroup, and quietly: the
 * agent's output file is no place for it (the braces: a failed redirection is reported on the
 * shell's standard error as it stood before the command's own redirections).
 */
const UNIT_ENTRY = '{ echo $$ >"$0"; } 2>/dev/null; exec "$@"';

/** Sends `signal` to a process group, if it still exists. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Removes the run cgroups that engines which died without cleaning up (SIGKILL, a crash) left
 * in `parent`, killing what still runs in them.
 */
async function removeDeadRuns(parent: string): Promise<void> {
  const pattern = new RegExp(`^${FOLDER_PREFIX}(\\d+)-`);
  for (const entry of readdirSync(parent)) {
    const match = pattern.exec(entry);
    if (match && !isProcessAlive(Number(match[1]))) await removeCgroup(join(parent, entry));
  }
}

/** Creates the run's cgroup under `parent`; undefined if refused. */
async function createRunCgroup(parent: string, runId: string): Promise<string | undefined> {
  await removeDeadRuns(parent);
  const folder = join(parent, `${FOLDER_PREFIX}${process.pid}-${runId}`);
  return (await createCgroup(folder)) ? folder : undefined;
}

/** Moves this process into the run's cgroup `folder`; false (the folder removed) if refused. */
async function enterRunCgroup(folder: string): Promise<boolean> {
  try {
    await moveIntoLater(folder, process.pid);
    return true;
  } catch (error) {
    // EBUSY, EOPNOTSUPP: a hierarchy (controllers, threaded mode) that takes no process here.
    await removeCgroup(folder);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EBUSY' || code === 'EOPNOTSUPP' || code === 'EACCES' || code === 'EPERM') return false;
    throw error;
  }
}

/**
 * Sets up process tracking for one engine run (see the file comment): the run's cgroup when
 * cgroup v2 is writable here, else the environment marker alone. Also removes cgroups left by
 * dead engines. `close()` must follow, also after a failure. The engine's move into the cgroup
 * (tens of ms of waiting for the kernel on a loaded machine) goes on while the caller
 * continues; `open` waits for it, so no agent starts outside.
 *
 * @throws only unexpected `fs` errors from the cgroup hierarchy.
 */
export async function openProcessTrees(options: TreesOptions): Promise<ProcessTrees> {
  const parent = options.cgroups === false ? undefined : ownCgroupFolder();
  let folder = parent === undefined ? undefined : await createRunCgroup(parent, options.runId);
  const entering = (folder === undefined ? Promise.resolve(true) : enterRunCgroup(folder)).then((entered) => {
    if (!entered) folder = undefined;
  });
  // Handled here, reported by the first `open`: an error must not go unhandled meanwhile.
  let failure: Error | undefined;
  entering.catch((error: unknown) => {
    failure = error instanceof Error ? error : new Error(String(error));
  });
  /** Where this process is, or is on its way to (see `quiet`); and the last move, in order. */
  let inside = true;
  let moves: Promise<void> = entering.catch(() => undefined);
  /** Chains a move of this process into (true) or out of the run's cgroup, after the last one. */
  const move = (into: boolean): void => {
    inside = into;
    moves = moves
      .catch(() => undefined)
      .then(async () => {
        if (parent !== undefined && folder !== undefined) await moveIntoLater(into ? folder : parent, process.pid);
      });
  };
  const runToken = `${process.pid}.${options.runId}`;
  const base = (options.env ?? process.env)[AGENT_MARKER];
  const leaders = new Set<number>();
  // Running agents themselves carry their own tokens and are signalled through their process
  // groups: leaving them out spares a sweep most of its reads (64 agents run at once).
  const candidates = (): Iterable<number | string> =>
    (folder === undefined ? readdirSync('/proc') : cgroupPids(folder)).filter((pid) => !leaders.has(Number(pid)));
  const sweeper = new Sweeper(candidates);
  const inRun = (token: string): boolean => token.startsWith(`${runToken}/`);
  /** Moves this process back to where it came from, so that the run's folder can go. */
  const leave = (): void => {
    // (A move still in flight would take this process back in; the process is about to end.)
    if (parent !== undefined && folder !== undefined) moveInto(parent, process.pid);
  };
  const leaveLater = async (): Promise<void> => {
    if (parent !== undefined && folder !== undefined) await moveIntoLater(parent, process.pid);
  };

  return {
    get mode(): TrackingMode {
      return folder === undefined ? 'environment' : 'cgroup';
    },
    open: async (name, { ownCgroup = true } = {}) => {
      if (!inside) move(true);
      await moves;
      if (failure) throw failure;
      const token = `${runToken}/${name}`;
      const unit = folder === undefined || !ownCgroup ? undefined : join(folder, `unit-${name}`);
      const hasUnit = unit !== undefined && (await createCgroup(unit));
      let leader: number | undefined;
      return {
        env: { [AGENT_MARKER]: markerValue(token, base) },
        command: (file, args, where) => {
          if (!hasUnit || !commandExistsSync(file, where)) return { file, args };
          return { file: '/bin/sh', args: ['-c', UNIT_ENTRY, join(unit, 'cgroup.procs'), file, ...args] };
        },
        started: (pid) => {
          leader = pid;
          leaders.add(pid);
        },
        signal: (signal) => {
          if (leader !== undefined) signalGroup(leader, signal);
          if (hasUnit) signalCgroup(unit, signal);
          signalMarked((each) => each === token, signal, candidates);
        },
        close: async () => {
          if (leader !== undefined) {
            signalGroup(leader, 'SIGKILL');
            leaders.delete(leader);
          }
          // Whatever the agent left in its cgroup goes now, with the folder; the run's removal
          // takes a folder left behind (a process stuck in the kernel).
          if (hasUnit) await removeCgroup(unit);
          await sweeper.kill(token);
        },
      };
    },
    quiet: () => {
      if (inside && folder !== undefined) {
        move(false);
        // Reported by the next `open` or by `close`.
        moves.catch(() => undefined);
      }
    },
    killAllNow: () => {
      for (const leader of leaders) signalGroup(leader, 'SIGKILL');
      if (folder !== undefined) {
        leave();
        removeCgroupNow(folder);
      } else {
        signalMarked(inRun, 'SIGKILL');
      }
    },
    close: async () => {
      // Out already if `quiet` moved this process out and nothing moved it back.
      const outside = await moves.then(
        () => !inside,
        () => false,
      );
      if (folder !== undefined) {
        if (!outside) await leaveLater();
        await removeCgroup(folder);
      } else {
        signalMarked(inRun, 'SIGKILL');
      }
    },
  };
}

/**
 * Batches the sweeps for agents that ended: 64 agents ending together cost one sweep, not 64.
 */
class Sweeper {
  readonly #candidates: () => Iterable<number | string>;
  #tokens = new Set<string>();
  #scheduled: Promise<void> | undefined;

  constructor(candidates: () => Iterable<number | string>) {
    this.#candidates = candidates;
  }

  kill(token: string): Promise<void> {
    this.#tokens.add(token);
    this.#scheduled ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const tokens = this.#tokens;
        this.#tokens = new Set();
        this.#scheduled = undefined;
        try {
          signalMarked((each) => tokens.has(each), 'SIGKILL', this.#candidates);
          resolve();
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    return this.#scheduled;
  }
}
