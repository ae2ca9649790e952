/**
 * One step's life in a run, from `[run]` to settled. Several steps live at once; each is one
 * task of this module, and the run loop (`engine.ts`) starts them as they become ready.
 *
 * ## DISPATCH and WAIT
 * The step runs one agent per block (`blocks: a, b`), or one agent: its *units*; or, with
 * `candidates: N`, rounds of N candidates of which one is merged (`src/candidates/`). Each unit
 * waits for one of the run's `--concurrency` slots, then runs as an attempt (`attempt.ts`).
 * Blocks already done earlier in this run are not run again; nor, for a `[run]` step resumed
 * after its engine died, are those that engine recorded done (`blocks-done.ts`).
 *
 * ## VERIFY
 * An attempt whose agent succeeded is verified: the step's `verify:` commands (else the run's
 * `--verify` ones) run in the unit's working tree, in the attempt's slot, before any merge
 * (`runAttempt`, `verify-attempt.ts`).
 * The first that fails fails the attempt (`verify failed: <command> (exit N)`), and the
 * unit's next attempt, and the exception handler, are shown what it printed.
 *
 * ## RETRY
 * A failed attempt of a unit with `retries: N` is tried again, up to N more times, after an
 * exponential backoff with jitter: `backoff` (default 1 s) times 2^(attempt-1), times a random
 * factor from 1 to 2. Each failed attempt is logged with its reason and the last lines of its
 * output (`output-tail.ts`). The slot is given back during the backoff.
 *
 * ## SETTLE
 * When every unit has ended: all succeeded, the step is `[done]`; else it is `[fail]` and goes
 * to HANDLE_FAILURE with the reasons.
 *
 * ## HANDLE_FAILURE
 * A step that fails again after a fix goes straight to ASK_HUMAN. Otherwise the exception
 * handler runs (`failure.ts`); `FIXED: ...` puts the step back to `[wait]` (the run loop takes
 * it again), anything else goes to ASK_HUMAN.
 *
 * ## ASK_HUMAN
 * An escalation question waits for `workflow answer` (or an answer typed at the terminal):
 * `retry` puts the step back to `[wait]`, `skip` skips it, `abort` ends the run, any other
 * text puts it back and is added to its next prompt as guidance.
 *
 * On abort, a task ends as soon as its agents are stopped; the run loop puts `[run]` steps
 * back to `[wait]`.
 */
import pRetry from 'p-retry';
import { runCandidates } from '../candidates/run-candidates.js';
import { recordCheckpoint } from '../git/checkpoints.js';
import { markStep, readSchedule, retryStep } from '../schedule/operations.js';
import type { Step } from '../schedule/step.js';
import { verificationSection } from '../verify/failure.js';
import { runAttempt, type AttemptResult } from './attempt.js';
import { clearBlocksDone, readBlocksDone, recordBlocksDone } from './blocks-done.js';
import { unitLabel, type EngineContext, type Unit } from './context.js';
import { runExceptionHandler } from './failure.js';
import { recognisedMerge } from './unit-worktree.js';

/** Base delay before the first retry when a step sets `retries` but no `backoff`, in ms. */
export const DEFAULT_BACKOFF_MS = 1000;

/** Thrown inside p-retry for a failed attempt, so that it retries. */
class AttemptFailed extends Error {
  readonly result: AttemptResult;

  constructor(result: AttemptResult) {
    super(result.failure);
    this.result = result;
  }
}

/** `5s` or `250ms`, for log lines. */
function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s` : `${ms}ms`;
}

/** Runs a unit's attempts until one succeeds or its retries are spent; returns the last attempt. */
async function runUnit(ctx: EngineContext, unit: Unit): Promise<AttemptResult> {
  const merged = await recognisedMerge(ctx, unit);
  if (merged !== undefined) return merged;
  const { retries = 0, backoffMs = DEFAULT_BACKOFF_MS } = unit.step.attributes;
  // One attempt, nothing to retry: as p-retry would end, without its set-up (its first call
  // loaded Node's performance timer, ~1 ms before the first agent of a run).
  if (retries === 0) return ctx.slots(() => runAttempt(ctx, unit, 1));
  let attempt = 0;
  let last: AttemptResult | undefined;
  try {
    return await pRetry(
      async () => {
        attempt += 1;
        const number = attempt;
        last = await ctx.slots(() => runAttempt(ctx, unit, number));
        if (last.failure !== undefined && !ctx.signal.aborted) throw new AttemptFailed(last);
        return last;
      },
      {
        retries,
        factor: 2,
        minTimeout: backoffMs,
        randomize: true,
        signal: ctx.signal,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          // Without retries, SETTLE logs the one failure.
          if (retries === 0) return;
          const failure = error instanceof AttemptFailed ? error.result.failure : error.message;
          const tail = error instanceof AttemptFailed ? error.result.outputTail : undefined;
          const base = backoffMs * 2 ** (attemptNumber - 1);
          const next = retriesLeft > 0 ? `; retrying in ${seconds(base)}-${seconds(2 * base)}` : '; no retries left';
          const ends = tail === undefined ? '' : `; output ends: ${tail}`;
          await ctx.log(
            {
              event: 'attempt-failed',
              step: unit.step.number,
              block: unit.block,
              attempt: attemptNumber,
              of: retries + 1,
              reason: failure,
              outputTail: tail,
            },
            `${unitLabel(unit)}: attempt ${attemptNumber} of ${retries + 1} failed, ${failure}${next}${ends}`,
          );
          if (error instanceof AttemptFailed) await ctx.mailbox.acknowledge(error.result.runId);
        },
      },
    );
  } catch (error) {
    if (error instanceof AttemptFailed) return error.result;
    // Aborted during a backoff: the last attempt stands.
    if (ctx.signal.aborted && last !== undefined) return last;
    throw error;
  }
}

/**
 * Logs that a block's last attempt ended (`block-done` or `block-failed`), while the step's
 * other blocks may still run: a person watching sees it, and the status line stops counting
 * it as running. The step's own `done`/`failed` line follows once every block has ended.
 */
async function logBlockEnd(ctx: EngineContext, unit: Unit, result: AttemptResult): Promise<void> {
  const { step, block } = unit;
  const summary = result.report?.text;
  if (result.failure === undefined) {
    await ctx.log(
      { event: 'block-done', step: step.number, block, runId: result.runId, summary },
      `${unitLabel(unit)}: done${summary === undefined || summary === '' ? '' : `: ${summary}`}`,
    );
  } else {
    await ctx.log(
      { event: 'block-failed', step: step.number, block, runId: result.runId, reason: result.failure },
      `${unitLabel(unit)}: failed, ${result.failure}`,
    );
  }
}

/**
 * The blocks of `step` done in its current attempt: this run's record, else, for a step
 * resumed after its engine died, that engine's record on disk; a step started afresh begins a
 * new attempt and drops any old record.
 */
async function blocksDoneOf(ctx: EngineContext, step: Step, resumed: boolean): Promise<Set<string>> {
  const known = ctx.blocksDone.get(step.number);
  if (known !== undefined) return known;
  const blocks = step.attributes.blocks;
  let done = new Set<string>();
  if (blocks !== undefined && resumed) done = await readBlocksDone(ctx.paths, step.number, blocks);
  else if (blocks !== undefined) await clearBlocksDone(ctx.paths, step.number);
  ctx.blocksDone.set(step.number, done);
  if (done.size > 0) {
    const names = [...done].join(', ');
    await ctx.log(
      { event: 'blocks-done', step: step.number, blocks: [...done] },
      `step ${step.number} (${step.name}): block${done.size > 1 ? 's' : ''} ${names} done before the engine stopped; not run again`,
    );
  }
  return done;
}

/**
 * Runs one `[run]` step of the schedule to its end in this run: `[done]`, `[skip]`, back to
 * `[wait]` for the run loop to take again, or left `[fail]`/`[run]` when the run aborts.
 *
 * @param resumed - the step was `[run]` when this run took it (left by a dead engine): the
 *   blocks its engine recorded done are not run again.
 * @returns whether the run loop must look at the schedule again: false when the step was
 *   settled through `ctx.settle`, which already took what became ready.
 */
export async function runStep(ctx: EngineContext, step: Step, resumed = false): Promise<boolean> {
  if (step.attributes.candidates !== undefined) {
    // One unit as SETTLE sees it: the round's winner, or every candidate's reason.
    return settleStep(ctx, step, [{ step }], [await runCandidates(ctx, step, resumed)]);
  }
  const done = await blocksDoneOf(ctx, step, resumed);
  const units: Unit[] = (step.attributes.blocks ?? [undefined])
    .filter((block) => block === undefined || !done.has(block))
    .map((block) => (block === undefined ? { step } : { step, block }));
  const results = await Promise.all(
    units.map(async (unit) => {
      const result = await runUnit(ctx, unit);
      // On disk as soon as it succeeds, before its report is acknowledged (when the step
      // settles): an engine killed later has it neither redone nor lost.
      if (unit.block !== undefined && result.failure === undefined && !ctx.signal.aborted) {
        done.add(unit.block);
        await recordBlocksDone(ctx.paths, step.number, done);
      }
      if (unit.block !== undefined && !ctx.signal.aborted) await logBlockEnd(ctx, unit, result);
      return result;
    }),
  );
  return settleStep(ctx, step, units, results);
}

// SETTLE
/** Settles `step` from its units' last attempts (`results[i]` is `units[i]`'s); see `runStep`. */
async function settleStep(
  ctx: EngineContext,
  step: Step,
  units: readonly Unit[],
  results: readonly AttemptResult[],
): Promise<boolean> {
  if (ctx.signal.aborted) return true;
  const failed = units.flatMap((unit, i) => {
    const result = results[i];
    return result?.failure === undefined ? [] : [{ unit, result }];
  });
  if (failed.length === 0) {
    await settleDone(ctx, step, results);
    ctx.blocksDone.delete(step.number);
    if (step.attributes.blocks !== undefined) await clearBlocksDone(ctx.paths, step.number);
    return false;
  }
  const reason = failed
    .map(({ unit, result }) => (unit.block === undefined ? result.failure : `block ${unit.block}: ${result.failure}`))
    .join('; ');
  // The same with each agent's last words: `exit code 1: Not logged in · Please run /login`.
  const described = failed
    .map(({ unit, result }) => {
      const said = result.outputTail === undefined ? result.failure : `${result.failure}: ${result.outputTail}`;
      return unit.block === undefined ? said : `block ${unit.block}: ${said}`;
    })
    .join('; ');
  const first = failed[0]?.result;
  await markStep(ctx.paths.root, 'fail', step.number);
  await ctx.log(
    {
      event: 'failed',
      step: step.number,
      runId: first?.runId,
      blocks: step.attributes.blocks === undefined ? undefined : failed.map(({ unit }) => unit.block),
      reason,
      outputTail: first?.outputTail,
      exitCode: first?.exit?.exitCode ?? null,
      signal: first?.exit?.signal ?? null,
    },
    `step ${step.number} (${step.name}): failed, ${described}`,
  );
  // The blocks that succeeded keep their reports, whose text this line does not hold.
  for (const { result } of failed) await ctx.mailbox.acknowledge(result.runId);
  // A [fail] step can make `when: failure` and `when: always` steps ready while it waits for
  // the exception handler or a human.
  ctx.replan();
  const verification = verificationSection(
    failed.flatMap(({ result }) => (result.verification === undefined ? [] : [result.verification])),
    3,
  );
  await handleFailure(ctx, step, { reason, described, verification }, first?.outputFile ?? '');
  return true;
}

async function settleDone(ctx: EngineContext, step: Step, results: readonly AttemptResult[]): Promise<void> {
  const summaries = results.flatMap((result) => (result.report ? [result.report.text] : []));
  const summary = summaries.length > 0 ? `: ${summaries.join('; ')}` : '';
  // The schedule first, the log once it holds [done]: a write that fails (a full disk, the
  // schedule removed) must not leave a log that says done. The steps this one made ready are
  // dispatched, and logged, after this line.
  await ctx.settle(step, 'done', async () => {
    await ctx.log(
      { event: 'done', step: step.number, runId: results.at(-1)?.runId, summary: summaries.join('; ') || undefined },
      `step ${step.number} (${step.name}): done${summary}`,
    );
    // Before the steps this one made ready start: none of their agents has moved HEAD yet.
    await recordCheckpoint(ctx, step);
  });
  // Only now: killed before the line above, the engine leaves the reports to the next run.
  for (const result of results) await ctx.mailbox.acknowledge(result.runId);
  ctx.fixed.delete(step.number);
}

// HANDLE_FAILURE
/**
 * `failure.reason` is why the step failed; `failure.described` adds the agents' last output
 * lines, for a human (the exception handler's prompt shows the output's tail on its own);
 * `failure.verification` is the "Verification failed" sections of the units whose
 * verification failed ('' for none), for the exception handler's prompt.
 */
async function handleFailure(
  ctx: EngineContext,
  step: Step,
  failure: { readonly reason: string; readonly described: string; readonly verification: string },
  outputFile: string,
): Promise<void> {
  if (ctx.fixed.has(step.number)) {
    await askHuman(ctx, step, `failed again after a fix: ${failure.described}`);
    return;
  }
  const verdict = await runExceptionHandler(ctx, step, failure.reason, outputFile, failure.verification);
  if (ctx.signal.aborted) return;
  if (!verdict.fixed) {
    await askHuman(ctx, step, verdict.line);
    return;
  }
  ctx.fixed.add(step.number);
  const current = (await readSchedule(ctx.paths.root)).steps.find((s) => s.number === step.number);
  if (current?.status === 'fail') await retryStep(ctx.paths.root, step.number);
  await ctx.log(
    { event: 'fixed', step: step.number, verdict: verdict.line },
    `step ${step.number} (${step.name}): ${verdict.line}`,
  );
}

// ASK_HUMAN
async function askHuman(ctx: EngineContext, step: Step, reason: string): Promise<void> {
  const question = await ctx.mailbox.ask({
    kind: 'escalation',
    step: step.number,
    asker: 'human',
    question: `Step ${step.number} (${step.name}) needs a decision: ${reason}. Answer retry, skip, abort, or guidance for another attempt.`,
    runId: ctx.runBase,
  });
  let answer: string | undefined;
  while ((answer = ctx.mailbox.answer(question.id)) === undefined) {
    if (ctx.signal.aborted) return;
    await ctx.mailbox.bell.wait(ctx.signal);
  }
  const decision = answer.trim().toLowerCase();
  if (decision === 'abort') {
    ctx.abort(`a human answered abort to ${question.id}`);
    return;
  }
  if (decision === 'skip') {
    await markStep(ctx.paths.root, 'skip', step.number);
    ctx.settledSteps.set(step.number, 'skip');
    await ctx.log(
      { event: 'skipped', step: step.number, by: 'human' },
      `step ${step.number} (${step.name}): skipped by a human`,
    );
    return;
  }
  if (decision !== 'retry') ctx.guidance.set(step.number, answer.trim());
  ctx.fixed.delete(step.number);
  await retryStep(ctx.paths.root, step.number);
  await ctx.log(
    { event: 'retry', step: step.number, guidance: decision === 'retry' ? undefined : answer.trim() },
    `step ${step.number} (${step.name}): retry${decision === 'retry' ? '' : ' with guidance from a human'}`,
  );
}
