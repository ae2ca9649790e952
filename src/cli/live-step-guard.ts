/**
 * The guard of `workflow retry` against a live engine, in its own module: the verbs loaded
 * with it (`next`, `status`, `done`) need none of what it reads.
 */
import { pendingQuestions } from '../engine/questions.js';
import { StepRunningError } from '../errors.js';
import { liveHold } from '../planspace/hold.js';
import { planspacePaths } from '../planspace/paths.js';
import type { Step } from '../schedule/step.js';

/**
 * What `workflow retry` may not reset while a live engine runs the planspace (never two live
 * attempts of one step): a `[run]` step, whose agent or retry backoff the engine runs, and a
 * `[fail]` step whose escalation waits for a human (the answer `retry` is the way). Without a
 * live engine, anything goes, as before.
 *
 * @returns a guard for `retryStep`, which throws {StepRunningError} for such a step.
 */
export async function liveStepGuard(planspace: string): Promise<(step: Step) => void> {
  const paths = planspacePaths(planspace);
  const holder = await liveHold(paths);
  if (holder === undefined) return () => undefined;
  const escalations = (await pendingQuestions(paths)).filter(
    (question) => question.kind === 'escalation' && question.runId === holder.runId,
  );
  return (step) => {
    if (step.status === 'run') {
      throw new StepRunningError(
        step.number,
        `step ${step.number} is [run]: the engine (pid ${holder.pid}, run ${holder.runId}) is running it; wait for it to end, or stop the run with workflow abort`,
      );
    }
    const question = escalations.find((candidate) => candidate.step === step.number);
    if (question !== undefined) {
      throw new StepRunningError(
        step.number,
        `step ${step.number} waits for a human decision (question ${question.id}); answer it: workflow answer ${planspace} --id ${question.id} retry`,
      );
    }
  };
}
