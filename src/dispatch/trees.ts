/**
 * Keeping track of every process an agent starts, so that a timeout, an abort or a second
 * Ctrl-C kills all of them: also those that left the agent's process group with `setsid` or a
 * double fork (issue 10).
 *
 * Two ways, chosen once per run:
 * - `cgroup`: each agent runs in a cgroup v2 of its own,
 *   `<engine's cgroup>/planspace-<engine pid>-<run id>/<dispatch run id>/`, which no descendant
 *   can leave. The agent is started through `/bin/sh -c 'echo $$ > <cgroup.procs>; exec agent'`,
 *   so it is inside before its first instruction: no window in which a fork could escape.
 *   Killing is `cgroup.kill`; the folders are removed once empty.
 * - `environment`, where this process may not create cgroups (or `cgroups: false`): every
 *   agent's environment carries `PLANSPACE_AGENT=<engine pid>.<run id>/<dispatch run id>`
 *   (see `marker.ts`), and killing sweeps `/proc` for processes carrying it.
 *
 * Either way the agent also leads its own process group, which is signalled as well.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../mailbox/liveness.js';
import { createCgroup, ownCgroupFolder, removeCgroup, removeCgroupNow, signalCgroup } from './cgroup.js';
import { AGENT_MARKER, markerValue, signalMarked } from './marker.js';

/** How a run tracks its agents' processes. */
export type TrackingMode = 'cgroup' | 'environment';

/** The processes of one agent. */
export interface AgentTree {
  /** Variables for the agent's environment (`PLANSPACE_AGENT`), laid over the rest. */
  readonly env: Readonly<Record<string, string>>;
  /** The program and arguments that start `file args` inside the tree. */
  wrap(file: string, args: readonly string[]): { file: string; args: string[] };
  /** Signals every process of the tree now (the agent's process group too, once `started`). */
  signal(signal: 'SIGTERM' | 'SIGKILL'): void;
  /** Records the agent's pid, the leader of its process group. */
  started(pid: number): void;
  /** SIGKILLs whatever is left of the tree, waits for it to be gone, and removes its cgroup. */
  close(): Promise<void>;
}

/** Every agent tree of a run. */
export interface ProcessTrees {
  readonly mode: TrackingMode;
  /** A tree for one agent; `name` (the dispatch's run id) must be unique in the run. */
  open(name: string): Promise<AgentTree>;
  /**
   * SIGKILLs every process of every tree of the run without yielding, for a process that is
   * about to end (a second Ctrl-C); blocks up to half a second for a cgroup to empty.
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

/** Sends `signal` to a process group; false if it is gone. */
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
  for (const entry of readdirSync(parent)) {
    const match = new RegExp(`^${FOLDER_PREFIX}(\\d+)-`).exec(entry);
    if (match && !isProcessAlive(Number(match[1]))) await removeCgroup(join(parent, entry));
  }
}

/**
 * Sets up process tracking for one engine run: a cgroup folder for the run when cgroup v2 is
 * writable here and `/bin/sh` exists, else the environment marker. Also removes cgroups left by
 * dead engines.
 *
 * @throws only unexpected `fs` errors from the cgroup hierarchy.
 */
export async function openProcessTrees(options: TreesOptions): Promise<ProcessTrees> {
  const parent = options.cgroups === false ? undefined : ownCgroupFolder();
  const runToken = `${process.pid}.${options.runId}`;
  let folder: string | undefined;
  if (parent !== undefined && existsSync('/bin/sh')) {
    await removeDeadRuns(parent);
    const candidate = join(parent, `${FOLDER_PREFIX}${process.pid}-${options.runId}`);
    if (await createCgroup(candidate)) folder = candidate;
  }
  const base = (options.env ?? process.env)[AGENT_MARKER];
  const leaders = new Set<number>();
  const sweeper = new Sweeper();
  const inRun = (token: string): boolean => token.startsWith(`${runToken}/`);

  const open = async (name: string): Promise<AgentTree> => {
    const token = `${runToken}/${name}`;
    // Refused (unlikely: the run's folder is ours), the agent is tracked by its marker alone.
    const own = folder !== undefined && (await createCgroup(join(folder, name))) ? join(folder, name) : undefined;
    let leader: number | undefined;
    return {
      env: { [AGENT_MARKER]: markerValue(token, base) },
      wrap: (file, args) =>
        own === undefined
          ? { file, args: [...args] }
          : { file: '/bin/sh', args: ['-c', WRAPPER, join(own, 'cgroup.procs'), file, ...args] },
      started: (pid) => {
        leader = pid;
        leaders.add(pid);
      },
      signal: (signal) => {
        if (leader !== undefined) signalGroup(leader, signal);
        if (own !== undefined) signalCgroup(own, signal);
        else signalMarked((each) => each === token, signal);
      },
      close: async () => {
        if (leader !== undefined) {
          signalGroup(leader, 'SIGKILL');
          leaders.delete(leader);
        }
        if (own !== undefined) await removeCgroup(own);
        else await sweeper.kill(token);
      },
    };
  };

  return {
    mode: folder === undefined ? 'environment' : 'cgroup',
    open,
    killAllNow: () => {
      for (const leader of leaders) signalGroup(leader, 'SIGKILL');
      if (folder !== undefined) removeCgroupNow(folder);
      // Also in cgroup mode: an agent whose move into its cgroup failed still carries the marker.
      signalMarked(inRun, 'SIGKILL');
    },
    close: async () => {
      if (folder !== undefined) await removeCgroup(folder);
      else signalMarked(inRun, 'SIGKILL');
    },
  };
}

/**
 * The agent's first moments: move itself into its cgroup (`$0` is that cgroup's
 * `cgroup.procs`), then become the agent. Not a shell around the agent's command: the command
 * and its arguments are `"$@"`, never parsed. A failed move is said in the agent's output and
 * the agent runs anyway, tracked by its process group and marker.
 */
const WRAPPER = 'echo $$ > "$0" || echo "planspace: could not move the agent into its cgroup $0" >&2; exec "$@"';

/**
 * Batches sweeps for agents that ended: 64 agents ending together cost one scan of `/proc`,
 * not 64.
 */
class Sweeper {
  #tokens = new Set<string>();
  #scheduled: Promise<void> | undefined;

  kill(token: string): Promise<void> {
    this.#tokens.add(token);
    this.#scheduled ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const tokens = this.#tokens;
        this.#tokens = new Set();
        this.#scheduled = undefined;
        try {
          signalMarked((each) => tokens.has(each), 'SIGKILL');
          resolve();
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    return this.#scheduled;
  }
}
