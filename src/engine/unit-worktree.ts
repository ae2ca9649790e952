/**
 * A unit's attempt under `isolation: worktree`, as the attempt sees it: open its worktree before
 * the agent starts, and settle it when the agent has ended (merge, keep or discard), logging
 * each. The git side is `isolation.ts` and `src/git/`.
 */
import { join } from 'node:path';
import { GitError } from '../git/git.js';
import type { AttemptResult } from './attempt.js';
import { unitLabel, unitStem, type EngineContext, type Unit } from './context.js';
import { unitBranchPart, type UnitCommitLabel, type UnitWorktree } from './isolation.js';

/**
 * True when `unit` runs in a worktree: always a candidate (each of a round's candidates works
 * on the same base, apart), else its step's `isolation:`, else the run's `--isolation`.
 */
export function isIsolated(ctx: EngineContext, unit: Unit): boolean {
  if (unit.candidate !== undefined) return true;
  return (unit.step.attributes.isolation ?? ctx.isolationMode) === 'worktree';
}

/**
 * Makes the worktree of attempt `attempt` (K, over the planspace's life) of `unit`, if it runs
 * isolated, from `base` (default: the integration head).
 *
 * @returns undefined for a unit that runs in the codespace; the worktree; or, when it cannot be
 *   made, why the attempt fails (git's reason; or a step given `isolation: worktree` after a
 *   run that did not check the codespace had started; or `aborted` for a candidate stopped,
 *   or a run aborted, before its worktree's turn in git's queue came: none was made).
 * @throws the errors of writing its record in the planspace.
 */
export async function openUnitWorktree(
  ctx: EngineContext,
  unit: Unit,
  attempt: number,
  base?: string,
): Promise<UnitWorktree | string | undefined> {
  if (!isIsolated(ctx, unit)) return undefined;
  const isolation = ctx.isolation;
  if (isolation === undefined) {
    const set = unit.candidate === undefined ? 'isolation: worktree' : 'candidates:';
    return `it cannot start: ${set} was set after the run started, which checked no git codespace; run again`;
  }
  try {
    if (unit.candidate === undefined) return await isolation.create(unit, attempt, base);
    // A candidate whose turn in git's queue comes after the race is won gets no worktree.
    return (await isolation.createUnlessStopped(unit, attempt, base, ctx.signal)) ?? 'aborted';
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    return `its worktree could not be made: ${error.message}`;
  }
}

/**
 * Settles a unit's worktree once its agent has ended: an aborted attempt's worktree and branch
 * are removed (the unit is redone from the start later); a failed attempt's are kept for a
 * look; a successful attempt's work is committed and merged (see `Isolation.integrate`).
 *
 * @param failure - why the attempt failed so far, undefined if its agent succeeded.
 * @returns why the attempt failed in the end: `failure`, or a merge conflict or refusal.
 * @throws {GitError} when git fails other than by a conflict or a refused merge.
 */
export async function settleUnitWorktree(
  ctx: EngineContext,
  tree: UnitWorktree,
  failure: string | undefined,
  label: UnitCommitLabel,
): Promise<string | undefined> {
  const isolation = ctx.isolation;
  if (isolation === undefined) return failure;
  const { unit } = label;
  const { step, block } = unit;
  const { branch, path } = tree.record;
  if (failure === 'aborted' || ctx.signal.aborted) {
    await isolation.discard(tree.record);
    return failure ?? 'aborted';
  }
  if (failure !== undefined) {
    await isolation.keep(tree, failure);
    await ctx.log(
      { event: 'worktree-kept', step: step.number, block, branch, path, reason: failure },
      `${unitLabel(unit)}: worktree kept for a look at ${path} (branch ${branch})`,
    );
    return failure;
  }
  const merged = await isolation.integrate(tree, label);
  if ('failure' in merged) {
    await ctx.log(
      { event: 'merge-failed', step: step.number, block, branch, path, reason: merged.failure },
      `${unitLabel(unit)}: not merged, ${merged.failure}; worktree kept at ${path} (branch ${branch})`,
    );
    return merged.failure;
  }
  const into = isolation.repository.branch.replace(/^refs\/heads\//, '');
  // This merge's own commit: the branch may have moved on with the next unit's merge already.
  await ctx.log(
    { event: 'merged', step: step.number, block, branch, head: merged.head },
    `${unitLabel(unit)}: merged ${branch} into ${into} (${merged.head.slice(0, 12)})`,
  );
  return undefined;
}

/**
 * For a unit whose merge a dead engine finished before it could record the unit done: a
 * successful result without a new dispatch (logged), so the work is neither redone nor merged
 * twice. Undefined for every other unit.
 */
export async function recognisedMerge(ctx: EngineContext, unit: Unit): Promise<AttemptResult | undefined> {
  if (ctx.isolation?.recognised.delete(unitBranchPart(unit)) !== true) return undefined;
  const runId = ctx.newRunId(unit.step.number);
  await ctx.log(
    { event: 'merge-recognised', step: unit.step.number, block: unit.block, runId },
    `${unitLabel(unit)}: done (its work was merged before the engine stopped; not run again)`,
  );
  const outputFile = join(ctx.paths.artifacts, `${unitStem(unit)}-output.md`);
  return { runId, exit: undefined, report: undefined, failure: undefined, outputFile };
}
