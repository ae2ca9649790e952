/**
 * `workflow worktrees <planspace>`: the worktrees its runs made and kept (after a failure or a
 * merge conflict) or are using now, with step, branch, path and state; `--prune` removes the
 * kept ones. Read from the planspace's records (`planspace/worktree-records.ts`), checked
 * against git.
 */
import { stat } from 'node:fs/promises';
import { EngineRunningError, isErrno } from '../errors.js';
import { removeWorktree } from '../git/worktree.js';
import { liveHold } from '../planspace/hold.js';
import { planspacePaths } from '../planspace/paths.js';
import { readWorktreeRecords, removeWorktreeRecord, type WorktreeRecord } from '../planspace/worktree-records.js';

/** One worktree as listed. */
export interface WorktreeListing {
  readonly step: number;
  readonly block?: string;
  readonly attempt: number;
  readonly branch: string;
  readonly path: string;
  /** The record's state, or `missing` when its folder is gone (removed by hand). */
  readonly state: WorktreeRecord['state'] | 'missing';
  readonly reason?: string;
  readonly runId: string;
}

/** True when `path` exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

/**
 * Every worktree the planspace's records name, in step order.
 *
 * @throws the `fs` errors of reading `worktrees/`.
 */
export async function listUnitWorktrees(planspace: string): Promise<WorktreeListing[]> {
  const records = await readWorktreeRecords(planspacePaths(planspace));
  const listed: WorktreeListing[] = [];
  for (const record of records) {
    listed.push({
      step: record.step,
      ...(record.block !== undefined && { block: record.block }),
      attempt: record.attempt,
      branch: record.branch,
      path: record.path,
      state: (await exists(record.path)) ? record.state : 'missing',
      ...(record.reason !== undefined && { reason: record.reason }),
      runId: record.runId,
    });
  }
  return listed.sort(
    (a, b) => a.step - b.step || (a.block ?? '').localeCompare(b.block ?? '') || a.attempt - b.attempt,
  );
}

/**
 * Removes every recorded worktree with its branch and record. Refused while an engine runs the
 * planspace: its worktrees are in use (and the next run clears what a dead one left anyway).
 *
 * @returns the worktrees removed.
 * @throws {EngineRunningError} while a live engine holds the planspace; nothing removed.
 * @throws {GitError} when git cannot remove one (those before it are removed).
 */
export async function pruneUnitWorktrees(planspace: string): Promise<WorktreeListing[]> {
  const paths = planspacePaths(planspace);
  const hold = await liveHold(paths);
  if (hold !== undefined) {
    throw new EngineRunningError(hold.pid, `an engine (pid ${hold.pid}) is running ${planspace}; nothing pruned`);
  }
  const listed = await listUnitWorktrees(planspace);
  for (const record of await readWorktreeRecords(paths)) {
    await removeWorktree(record.top, record.path, record.branch);
    await removeWorktreeRecord(paths, record.name);
  }
  return listed;
}

/** One line per worktree: `step 3 block a  branch  state  path[  reason]`. */
export function formatWorktrees(listed: readonly WorktreeListing[]): string {
  if (listed.length === 0) return 'no worktrees';
  return listed
    .map((tree) => {
      const unit = tree.block === undefined ? `step ${tree.step}` : `step ${tree.step} block ${tree.block}`;
      const reason = tree.reason === undefined ? '' : `  ${tree.reason}`;
      return `${unit}  ${tree.branch}  ${tree.state}  ${tree.path}${reason}`;
    })
    .join('\n');
}
