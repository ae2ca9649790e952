/**
 * The end of a round of candidates (see `round.ts`).
 *
 * ## PICK
 * `first`: the race's winner. `smallest`: the eligible candidate with the fewest lines added
 * and removed, ties to the lower k (`pick.ts`). A model name: the judge agent picks from every
 * candidate's summary, verification and diff (`judge.ts`); a pick of a candidate that is not
 * eligible counts as none. The pick is recorded (`picked`) before anything is merged.
 *
 * ## MERGE
 * The winner's work is merged into the integration branch exactly as a single unit's is
 * (`Isolation.integrate`): a conflict fails the round. Then the record says `merged: true`.
 * Every candidate's worktree and temporary branch are removed (the others' while the winner is
 * merged, all at once: `Isolation.discardAll`); each finished candidate's commit stays as its
 * ref (`refs/planspace/<run id>/step-N/candidate-k`), the winner's too.
 *
 * No eligible candidate, a pick of none, or a failed merge: the round fails with every
 * candidate's reason.
 */
import { readFile } from 'node:fs/promises';
import type { AttemptResult } from '../engine/attempt.js';
import { unitLabel } from '../engine/context.js';
import { recordOutputs } from '../engine/outputs-attempt.js';
import { faultPoint } from '../fault.js';
import { diffPatch, diffStat } from '../git/diff.js';
import { runJudge, type JudgeCandidate, type Pick } from './judge.js';
import { isJudgeRule, pickSmallest, roundFailure, RULE_REASONS } from './pick.js';
import type { RanCandidate, RoundState } from './round.js';

/** How a round ended: the winner's attempt, or why none was merged. */
export type RoundOutcome =
  | { readonly winner: AttemptResult; readonly results: readonly AttemptResult[] }
  | {
      readonly failure: string;
      /** Every candidate's attempt that ran, in k order. */
      readonly results: readonly AttemptResult[];
    };

/**
 * Picks a round's winner, merges it, and removes every candidate's worktree (see the module
 * comment).
 *
 * @throws the `fs` errors of the record and log; {GitError} when git fails other than by a
 *   merge conflict or refusal.
 */
export async function settleRound(state: RoundState): Promise<RoundOutcome> {
  const { ctx, step, ledger } = state;
  const ran = [...state.ran].sort((a, b) => a.k - b.k);
  const results = ran.map((each) => each.result);
  try {
    if (ctx.signal.aborted) return { failure: 'aborted', results };
    const chosen = await choose(state, ran);
    const pick =
      typeof chosen.pick === 'number' && ledger.entry(chosen.pick)?.status !== 'eligible'
        ? { pick: 'none' as const, reason: `candidate ${chosen.pick} is not eligible (${chosen.reason})` }
        : chosen;
    const winner = ran.find((each) => each.k === pick.pick);
    if (winner?.held === undefined) {
      await ledger.pick(null, pick.reason);
      const judged = isJudgeRule(state.judge) ? undefined : pick.reason;
      const failure = roundFailure(ledger.record.candidates, judged);
      await ctx.log(
        {
          event: 'picked',
          step: step.number,
          candidate: null,
          of: ledger.record.candidates.length,
          reason: pick.reason,
        },
        `step ${step.number} (${step.name}): no candidate picked, ${pick.reason}`,
      );
      return { failure, results };
    }
    // Recorded before the merge: an engine taking over knows which candidate it merged.
    await ledger.pick(winner.k, pick.reason);
    faultPoint('candidates-after-pick');
    const model = ledger.entry(winner.k)?.model ?? '';
    const count = step.attributes.candidates ?? ledger.record.candidates.length;
    await ctx.log(
      {
        event: 'picked',
        step: step.number,
        candidate: winner.k,
        of: count,
        model,
        reason: pick.reason,
        round: state.round,
      },
      `step ${step.number} (${step.name}): picked candidate ${winner.k}/${count} (${model}): ${pick.reason}`,
    );
    const unit = { step, candidate: winner.k };
    // The others' worktrees go while the winner is merged: their folders are deleted alongside,
    // and only their one prune waits in git's queue.
    const losers = ran.filter((each) => each !== winner);
    const [merging, discarding] = await Promise.allSettled([
      state.isolation.integrate(winner.held, { unit, attempt: state.round, model }, winner.tip),
      discardHeld(state, losers),
    ]);
    // Both settled first: the step never ends while the losers' removal still runs.
    if (merging.status === 'rejected') throw merging.reason;
    if (discarding.status === 'rejected') throw discarding.reason;
    const merged = merging.value;
    if ('failure' in merged) {
      await ctx.log(
        {
          event: 'merge-failed',
          step: step.number,
          candidate: winner.k,
          branch: winner.held.record.branch,
          reason: merged.failure,
        },
        `${unitLabel(unit)}: not merged, ${merged.failure}`,
      );
      return { failure: `candidate ${winner.k} (${model}) could not be merged: ${merged.failure}`, results };
    }
    // `integrate` removed its worktree and branch; its ref keeps the commit.
    winner.held = undefined;
    await ledger.merged();
    await recordOutputs(ctx, unit, winner.result.outputs ?? []);
    const into = state.isolation.repository.branch.replace(/^refs\/heads\//, '');
    await ctx.log(
      { event: 'merged', step: step.number, candidate: winner.k, head: merged.head },
      `${unitLabel(unit)}: merged into ${into} (${merged.head.slice(0, 12)})`,
    );
    return { winner: winner.result, results };
  } finally {
    await discardHeld(state, ran);
  }
}

/** Removes the worktrees the round still holds of `candidates`, all at once. */
async function discardHeld(state: RoundState, candidates: readonly RanCandidate[]): Promise<void> {
  const records = [];
  for (const each of candidates) {
    if (each.held === undefined) continue;
    records.push(each.held.record);
    each.held = undefined;
  }
  await state.isolation.discardAll(records);
}

/** The judge's pick among the candidates that ran (see PICK). */
async function choose(state: RoundState, ran: readonly RanCandidate[]): Promise<Pick> {
  const { judge, ledger } = state;
  if (judge === 'first') {
    return state.winner === undefined
      ? { pick: 'none', reason: 'no candidate was eligible' }
      : { pick: state.winner, reason: RULE_REASONS.first };
  }
  if (judge === 'smallest') return pickSmallest(ledger.record.candidates);
  if (!ledger.record.candidates.some((entry) => entry.status === 'eligible')) {
    return { pick: 'none', reason: 'no candidate was eligible' };
  }
  return runJudge(state.ctx, state.step, judge, await judgeInput(state, ran));
}

/** What the judge agent is shown: the task as candidate 1 got it, and every candidate. */
async function judgeInput(state: RoundState, ran: readonly RanCandidate[]): Promise<Parameters<typeof runJudge>[3]> {
  const top = state.isolation.repository.top;
  const first = ran.find((each) => each.result.files !== undefined)?.result.files;
  const task = first === undefined ? '' : await readFile(first.prompt, 'utf8');
  const candidates: JudgeCandidate[] = [];
  for (const entry of state.ledger.record.candidates) {
    const tip = ran.find((each) => each.k === entry.k)?.tip;
    candidates.push({
      k: entry.k,
      model: entry.model,
      eligible: entry.status === 'eligible',
      reason: entry.reason,
      verify: entry.verify,
      durationMs: entry.durationMs,
      summary: entry.summary,
      diffStat: tip === undefined ? '' : await diffStat(top, state.base, tip),
      diff: tip === undefined ? '' : await diffPatch(top, state.base, tip),
    });
  }
  return { task, candidates };
}
