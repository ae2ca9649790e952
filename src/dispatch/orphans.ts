/**
 * Agents left behind by an engine that died without cleaning up (SIGKILL, a crash): agents run
 * in process groups of their own, so they outlive their engine. The next engine finds them by
 * the environment every agent and its children inherit (`WORKFLOW_PLANSPACE` and a
 * `WORKFLOW_RUN_ID` of the dead engine's run) and kills their process groups.
 *
 * Linux only (it reads /proc); elsewhere it finds nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The processes, other than this one, whose environment has all of `pairs` (`KEY=value` or `KEY=prefix*`). */
export function findProcessesByEnvironment(pairs: readonly string[]): number[] {
  if (process.platform !== 'linux') return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isSafeInteger(pid) || pid === process.pid) continue;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
    } catch (error) {
      // Gone meanwhile, or another user's: not one of ours either way.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'ESRCH' || code === 'EPERM') continue;
      throw error;
    }
    const matches = pairs.every((pair) =>
      pair.endsWith('*') ? environ.some((item) => item.startsWith(pair.slice(0, -1))) : environ.includes(pair),
    );
    if (matches) found.push(pid);
  }
  return found;
}

/**
 * Kills (SIGKILL) every process left by the engine run `runBase` on `planspace`, with its process
 * group.
 *
 * @returns the pids found.
 */
export function killOrphanAgents(planspace: string, runBase: string): number[] {
  if (runBase === '') return [];
  const pids = findProcessesByEnvironment([`WORKFLOW_PLANSPACE=${planspace}`, `WORKFLOW_RUN_ID=${runBase}-*`]);
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  }
  return pids;
}
