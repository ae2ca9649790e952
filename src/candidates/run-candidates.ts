/**
 * A step with `candidates: N`, as its task in the run sees it (`engine/step-run.ts`): rounds of
 * N candidates (`round.ts`) until one is merged or its `retries:` are spent, each retry a new
 * round after the step's backoff; or, for a step resumed after its engine died, that engine's
 * merged pick, recognised rather than run (and merged) again.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptResult } from '../engine/attempt.js';
import type { EngineContext } from '../engine/context.js';
import { isAncestor, refCommit } from '../git/refs.js';
import type { Step } from '../schedule/step.js';
import { readCandidatesRecord } from './record.js';
import { runRound } from './round.js';

/** Base delay before a step's second round when it sets `retries` but no `backoff`, in ms. */
const DEFAULT_BACKOFF_MS = 1000;

/**
 * Runs `step`'s candidates to a merged winner or a failure (see the module comment).
 *
 * @param resumed - the step was `[run]` when this run took it (left by a dead engine).
 * @returns the winner's attempt; or a failed result whose `failure` holds every candidate's
 *   reason (with the output and verification of the first that failed), `aborted` on an abort.
 * @throws as `runRound`.
 */
export async function runCandidates(ctx: EngineContext, step: Step, resumed: boolean): Promise<AttemptResult> {
  const recognised = resumed ? await recognisedPick(ctx, step) : undefined;
  if (recognised !== undefined) return recognised;
  const { retries = 0, backoffMs = DEFAULT_BACKOFF_MS } = step.attributes;
  for (let round = 1; ; round += 1) {
    const outcome = await runRound(ctx, step, round);
    // The winner's report is acknowledged when the step settles; the others' now.
    for (const result of outcome.results) {
      if (!('winner' in outcome) || result.runId !== outcome.winner.runId) await ctx.mailbox.acknowledge(result.runId);
    }
    if ('winner' in outcome) return outcome.winner;
    const failed = outcome.results.find((result) => result.failure !== undefined && result.files !== undefined);
    const last: AttemptResult = {
      runId: failed?.runId ?? ctx.newRunId(step.number),
      exit: failed?.exit,
      report: undefined,
      failure: outcome.failure,
      outputFile: failed?.outputFile ?? join(ctx.paths.artifacts, `step-${step.number}-candidate-1-output.md`),
      ...(failed?.outputTail !== undefined && { outputTail: failed.outputTail }),
      ...(failed?.verification !== undefined && { verification: failed.verification }),
    };
    if (ctx.signal.aborted || round > retries) return last;
    const delay = backoffMs * 2 ** (round - 1) * (1 + Math.random());
    await ctx.log(
      { event: 'round-failed', step: step.number, round, of: retries + 1, reason: outcome.failure },
      `step ${step.number} (${step.name}): round ${round} of ${retries + 1} failed, ${outcome.failure}; a new round in ${Math.round(delay)}ms`,
    );
    try {
      await sleep(delay, undefined, { signal: ctx.signal });
    } catch (error) {
      // Aborted during the backoff: the last round stands.
      if (!(error instanceof Error && error.name === 'AbortError')) throw error;
      return last;
    }
  }
}

/**
 * For a step resumed after its engine died: the pick that engine recorded and merged, as a
 * successful result (logged `merge-recognised`), so that it is neither run nor merged again.
 * Merged means: the record says so, or the worktree records showed its merge finished
 * (`recover.ts`), or the integration head holds its commit (the engine died between the merge
 * and the record). Undefined otherwise: the step runs a new round from the current head.
 *
 * @throws {GitError} when git fails to read the ref.
 */
async function recognisedPick(ctx: EngineContext, step: Step): Promise<AttemptResult | undefined> {
  const isolation = ctx.isolation;
  if (isolation === undefined) return undefined;
  const prefix = `step-${step.number}-candidate-`;
  const parts = [...isolation.recognised].filter((part) => part.startsWith(prefix));
  for (const part of parts) isolation.recognised.delete(part);
  let record;
  try {
    record = await readCandidatesRecord(ctx.paths.artifacts, step.number);
  } catch (error) {
    // A damaged record recognises nothing: the step runs again.
    if (!(error instanceof SyntaxError)) throw error;
    return undefined;
  }
  if (record === undefined || record.picked === null || record.runId === ctx.runBase) return undefined;
  const entry = record.candidates.find((each) => each.k === record.picked);
  let merged = record.merged || parts.includes(`${prefix}${record.picked}`);
  if (!merged && entry?.ref != null) {
    const commit = await refCommit(isolation.repository.top, entry.ref);
    merged = commit !== undefined && (await isAncestor(isolation.repository.top, commit, isolation.head));
  }
  if (!merged) return undefined;
  const runId = ctx.newRunId(step.number);
  await ctx.log(
    { event: 'merge-recognised', step: step.number, candidate: record.picked, runId },
    `step ${step.number} (${step.name}): done (candidate ${record.picked}, picked and merged before the engine stopped; not run again)`,
  );
  const outputFile = join(ctx.paths.artifacts, `step-${step.number}-candidate-${record.picked}-output.md`);
  return { runId, exit: undefined, report: undefined, failure: undefined, outputFile };
}
