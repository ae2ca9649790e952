/**
 * One round of a step's candidates (`candidates: N`): N independent tries of the step, each in
 * a worktree of its own made from the same base (the integration head when the round starts),
 * each holding one `--concurrency` slot while it runs.
 *
 * ## RACE
 * A candidate is *eligible* when its agent succeeded and every `verify:` command passed in its
 * worktree. Its work is committed on its branch and kept as the ref
 * `refs/planspace/<run id>/step-N/candidate-k`; nothing is merged yet. Under `judge: first` the
 * first eligible candidate wins at once: every other one still running is stopped, process
 * trees and all (each candidate's agent has a cgroup of its own), and those not started never
 * start. Under the other judges every candidate runs to its end.
 *
 * ## PICK and MERGE
 * See `settle-round.ts`.
 *
 * The round's record (`artifacts/step-N-candidates.json`) is written at each change, and
 * `events.jsonl`/`log.md` get every candidate's dispatch (`dispatched` with `candidate`), end
 * (`candidate-ended`), stop (`candidate-stopped`) and the pick (`picked`).
 */
import { runAttempt, unitModel, type AttemptResult } from '../engine/attempt.js';
import { unitLabel, type EngineContext, type Unit } from '../engine/context.js';
import type { Isolation, UnitWorktree } from '../engine/isolation.js';
import { diffSize } from '../git/diff.js';
import { GitError } from '../git/git.js';
import { setRef } from '../git/refs.js';
import type { Step } from '../schedule/step.js';
import { verifyCommands } from '../verify/verify.js';
import { RoundLedger, startedEntry } from './ledger.js';
import type { CandidateEntry } from './record.js';
import { withStopSignal } from './scoped-context.js';
import { settleRound, type RoundOutcome } from './settle-round.js';

/** A candidate that ran: its attempt, and its worktree while the round holds it. */
export interface RanCandidate {
  readonly k: number;
  readonly result: AttemptResult;
  /** Its worktree, until the round removes it; undefined once removed, or never made. */
  held: UnitWorktree | undefined;
  /** Its commit on its branch (and ref), once made. */
  readonly tip: string | undefined;
}

/** `refs/planspace/<run id>/step-N/candidate-k`. */
export function candidateRef(runId: string, step: number, k: number): string {
  return `refs/planspace/${runId}/step-${step}/candidate-${k}`;
}

/** What the candidates of a round share while it runs. */
export interface RoundState {
  readonly ctx: EngineContext;
  readonly step: Step;
  readonly round: number;
  readonly isolation: Isolation;
  readonly base: string;
  readonly judge: string;
  readonly ledger: RoundLedger;
  /** Aborted when the race is won (`judge: first`): the others stop, or never start. */
  readonly stop: AbortController;
  readonly ran: RanCandidate[];
  winner: number | undefined;
}

/**
 * Runs round `round` of `step`'s candidates to its end: the race, the pick and the merge of the
 * winner (see the module comments).
 *
 * @returns the winner's attempt, or why the round picked or merged none (every candidate's
 *   reason); `aborted` when the run was aborted.
 * @throws the `fs` errors of writing the record and the log; {GitError} when git fails other
 *   than at a candidate's commit or a merge.
 */
export async function runRound(ctx: EngineContext, step: Step, round: number): Promise<RoundOutcome> {
  const isolation = ctx.isolation;
  if (isolation === undefined) {
    const failure =
      'it cannot start: candidates: was set after the run started, which checked no git codespace; run again';
    return { failure, results: [] };
  }
  const base = isolation.head;
  const judge = step.attributes.judge ?? 'first';
  const ledger = new RoundLedger(ctx.paths.artifacts, { step: step.number, runId: ctx.runBase, round, judge, base });
  await ledger.write();
  const state: RoundState = {
    ctx,
    step,
    round,
    isolation,
    base,
    judge,
    ledger,
    stop: new AbortController(),
    ran: [],
    winner: undefined,
  };
  const scoped = withStopSignal(ctx, state.stop.signal);
  const count = step.attributes.candidates ?? 2;
  const ks = Array.from({ length: count }, (_, i) => i + 1);
  await Promise.all(
    ks.map((k) =>
      ctx.slots(async () => {
        // Not started once the race is won or the run stops.
        if (state.stop.signal.aborted || ctx.signal.aborted) return;
        await runCandidate(state, scoped, { step, candidate: k });
      }),
    ),
  );
  for (const k of ks) {
    if (state.ledger.entry(k) !== undefined || ctx.signal.aborted) continue;
    await stopped(state, startedEntry(k, unitModel({ step, candidate: k })), 'not started');
  }
  return settleRound(state);
}

/** Runs candidate `unit.candidate` in its slot, and records how it ended. */
async function runCandidate(state: RoundState, scoped: EngineContext, unit: Unit): Promise<void> {
  const { ctx, ledger, isolation, base, step } = state;
  const k = unit.candidate ?? 0;
  const started = startedEntry(k, unitModel(unit));
  await ledger.set(started);
  const since = Date.now();
  const result = await runAttempt(scoped, unit, state.round, base);
  const durationMs = Date.now() - since;
  const model = result.model ?? started.model;
  const entry = { ...started, model, durationMs };
  if (ctx.signal.aborted) {
    if (result.held !== undefined) await isolation.discard(result.held.record);
    return;
  }
  if (result.failure === 'aborted' && state.stop.signal.aborted) {
    // Its worktree goes after the winner's merge, which must not wait behind it in git's queue.
    state.ran.push({ k, result, held: result.held, tip: undefined });
    await stopped(state, entry, 'stopped');
    return;
  }
  let failure = result.failure;
  let tip: string | undefined;
  let size: Pick<CandidateEntry, 'filesChanged' | 'added' | 'removed'> = {
    filesChanged: null,
    added: null,
    removed: null,
  };
  let ref: string | null = null;
  if (result.held !== undefined) {
    try {
      tip = await isolation.commit(result.held, { unit, attempt: state.round, model });
      ref = candidateRef(ctx.runBase, step.number, k);
      await setRef(isolation.repository.top, ref, tip);
      size = await diffSize(isolation.repository.top, base, tip);
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      failure ??= `its work could not be committed: ${error.message}`;
    }
  }
  const eligible = failure === undefined;
  // The race is decided here, before anything else is awaited: the losers stop at once.
  if (eligible && state.judge === 'first' && state.winner === undefined) {
    state.winner = k;
    state.stop.abort();
  }
  state.ran.push({ k, result: failure === result.failure ? result : { ...result, failure }, held: result.held, tip });
  const commands = verifyCommands(step, ctx.verify);
  const verify =
    result.verification !== undefined ? 'failed' : commands.length === 0 ? 'none' : eligible ? 'passed' : null;
  const summary = result.report?.kind === 'done' ? result.report.text : null;
  await ledger.set({
    ...entry,
    ...size,
    status: eligible ? 'eligible' : 'failed',
    verify,
    ref,
    summary,
    reason: failure ?? null,
  });
  const said = eligible ? 'eligible' : `not eligible, ${failure}`;
  await ctx.log(
    {
      event: 'candidate-ended',
      step: step.number,
      candidate: k,
      model,
      eligible,
      reason: failure,
      durationMs,
      runId: result.runId,
    },
    `${unitLabel(unit)}: ended after ${(durationMs / 1000).toFixed(1)}s, ${said}`,
  );
}

/** Records and logs candidate `entry.k` stopped (or never started) after the race was won. */
async function stopped(state: RoundState, entry: CandidateEntry, how: 'stopped' | 'not started'): Promise<void> {
  const { ctx, step } = state;
  const reason = `${how}: candidate ${state.winner ?? '?'} won first`;
  await state.ledger.set({ ...entry, status: 'stopped', reason });
  await ctx.log(
    { event: 'candidate-stopped', step: step.number, candidate: entry.k, model: entry.model, reason },
    `${unitLabel({ step, candidate: entry.k })}: ${reason}`,
  );
}
