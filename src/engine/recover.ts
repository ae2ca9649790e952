/**
 * Done lines a dead engine did not write. The engine writes `[done]` to the schedule before it
 * logs `done` (so that the log never claims what the schedule does not hold, on a full disk
 * say); an engine killed between the two leaves a step `[done]` without its line. The engine
 * that takes over from a dead one writes those lines, marked `recovered`.
 *
 * Reads `events.jsonl` whole, but only after a dead engine: one line per event, see `log.ts`.
 *
 * Also the worktrees a dead engine left (`recoverWorktrees`).
 */
import { git, GitError } from '../git/git.js';
import { removeWorktree } from '../git/worktree.js';
import { logEvent } from '../planspace/log.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import { readWorktreeRecords, removeWorktreeRecord } from '../planspace/worktree-records.js';
import type { Step } from '../schedule/step.js';
import { readText } from './text.js';

/**
 * The steps run `runId` dispatched and the steps it logged done, from `events.jsonl`.
 *
 * @returns empty sets if there is no `events.jsonl` (or a link in its place, never followed).
 * @throws {NotRegularFileError} for a FIFO, socket, device or folder in its place.
 */
async function stepsOfRun(path: string, runId: string): Promise<{ dispatched: Set<number>; done: Set<number> }> {
  const dispatched = new Set<number>();
  const done = new Set<number>();
  const text = await readText(path, Number.POSITIVE_INFINITY);
  let inRun = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let event: { event?: unknown; runId?: unknown; step?: unknown };
    try {
      event = JSON.parse(line) as typeof event;
    } catch (error) {
      // A line someone else damaged says nothing about this run.
      if (error instanceof SyntaxError) continue;
      throw error;
    }
    if (event.event === 'started') inRun = event.runId === runId;
    if (!inRun || typeof event.step !== 'number') continue;
    if (event.event === 'dispatched') dispatched.add(event.step);
    if (event.event === 'done') done.add(event.step);
  }
  return { dispatched, done };
}

/**
 * Logs `done` for every step that dead run `runId` dispatched, that the schedule holds as
 * `[done]`, and that the run never logged done.
 *
 * @param steps - the schedule's steps as read before the takeover.
 * @returns the step numbers logged.
 * @throws the errors of reading `events.jsonl` and of `logEvent`.
 */
export async function logDoneOfDeadRun(
  paths: PlanspacePaths,
  runId: string,
  steps: readonly Step[],
): Promise<number[]> {
  const candidates = steps.filter((step) => step.status === 'done');
  if (candidates.length === 0) return [];
  const { dispatched, done } = await stepsOfRun(paths.events, runId);
  const missing = candidates.filter((step) => dispatched.has(step.number) && !done.has(step.number));
  for (const step of missing) {
    await logEvent(
      paths,
      { event: 'done', step: step.number, runId, recovered: true },
      `step ${step.number} (${step.name}): done (recovered: engine run ${runId} died after writing [done] and before this line)`,
    );
  }
  return missing.map((step) => step.number);
}

/**
 * Finishes what a dead engine left of its units' worktrees (`planspace/worktree-records.ts`):
 * a record still `creating`, `running` or `merging` belongs to an engine that died (one engine
 * at a time holds a planspace). A unit whose commit the integration branch holds was merged:
 * it is recognised, so the resumed step counts it done instead of running (and merging) it
 * again. Any other unit is redone by the resumed step. Either way its worktree, its branch
 * (with any lock a killed `git worktree add` left) and its record are removed, and a line is
 * logged. Worktrees kept after a failure (`failed`, `conflict`) are left for the user.
 *
 * A candidate's worktree (`candidates: N`) is removed alike; its round runs again, unless its
 * merge had finished (see `src/candidates/resume.ts`).
 *
 * @returns the units recognised as merged, by `unitBranchPart` (`step-N`, `step-N-X` or
 *   `step-N-candidate-k`).
 * @throws the errors of reading the records and of `logEvent`; a git failure (a repository
 *   gone) leaves that record for `workflow worktrees --prune` and is logged.
 */
export async function recoverWorktrees(paths: PlanspacePaths): Promise<Set<string>> {
  const recognised = new Set<string>();
  for (const record of await readWorktreeRecords(paths)) {
    if (record.state === 'failed' || record.state === 'conflict') continue;
    const part =
      record.candidate !== undefined
        ? `step-${record.step}-candidate-${record.candidate}`
        : record.block === undefined
          ? `step-${record.step}`
          : `step-${record.step}-${record.block}`;
    const unit =
      record.candidate !== undefined
        ? `step ${record.step} candidate ${record.candidate}`
        : record.block === undefined
          ? `step ${record.step}`
          : `step ${record.step} block ${record.block}`;
    try {
      const merged =
        record.state === 'merging' &&
        record.tip !== undefined &&
        (await git(record.top, ['merge-base', '--is-ancestor', record.tip, 'HEAD'], { allowExitCodes: [1] }))
          .exitCode === 0;
      if (merged) recognised.add(part);
      await removeWorktree(record.top, record.path, record.branch);
      await removeWorktreeRecord(paths, record.name);
      const outcome = merged ? 'its merge had finished: counted done' : 'not merged: it runs again';
      await logEvent(
        paths,
        { event: 'worktree-recovered', step: record.step, block: record.block, branch: record.branch, merged },
        `${unit}: worktree ${record.branch} left ${record.state} by a dead engine (run ${record.runId}) removed; ${outcome}`,
      );
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      await logEvent(
        paths,
        { event: 'worktree-unrecovered', step: record.step, block: record.block, branch: record.branch },
        `${unit}: worktree ${record.branch} left by a dead engine could not be removed (${error.message}); see workflow worktrees --prune`,
      );
    }
  }
  return recognised;
}
