/**
 * The guards of the schedule verbs against a live engine, in their own module. Without a live
 * engine (no `engine.json`, or one whose pid is gone: one read and one `kill(pid, 0)`) they
 * cost nothing more; the engine's question files, and the mailbox code behind them, are loaded
 * only when an engine runs.
 */
import { EngineRunningError, StepRunningError } from '../errors.js';
import { liveHold } from '../planspace/hold.js';
import { planspacePaths } from '../planspace/paths.js';
import type { Step } from '../schedule/step.js';

/** The verbs a guard refuses for: the answer to suggest for an escalated step differs. */
export type GuardedVerb = 'retry' | 'done' | 'fail' | 'skip';

/**
 * What `workflow retry|done|fail|skip N` may not change while a live engine runs the planspace
 * (never two live attempts of one step, and no change the engine overwrites when it settles
 * the step): a `[run]` step, whose agent or retry backoff the engine runs, and a `[fail]` step
 * whose escalation waits for a human (answering it is the way). Without a live engine,
 * anything goes, as before.
 *
 * @param planspace - the planspace folder; reads its `engine.json` and, under a live engine,
 *   its `questions/`.
 * @param verb - the verb asking, for the answer the refusal suggests. Default `retry`.
 * @returns a guard for `retryStep`/`markStep`, which throws {StepRunningError} for such a step.
 */
export async function liveStepGuard(planspace: string, verb: GuardedVerb = 'retry'): Promise<(step: Step) => void> {
  const paths = planspacePaths(planspace);
  const holder = await liveHold(paths);
  if (holder === undefined) return () => undefined;
  const { pendingQuestions } = await import('../engine/questions.js');
  const escalations = (await pendingQuestions(paths)).filter(
    (question) => question.kind === 'escalation' && question.runId === holder.runId,
  );
  const answer = verb === 'retry' || verb === 'skip' ? verb : 'retry|skip|abort';
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
        `step ${step.number} waits for a human decision (question ${question.id}); answer it: workflow answer ${planspace} --id ${question.id} ${answer}`,
      );
    }
  };
}

/**
 * Refuses `workflow next` while a live engine runs the planspace: the engine takes the steps
 * itself, and a `[run]` step is the engine's, not one a dead session left to recover.
 *
 * @param planspace - the planspace folder; reads its `engine.json`.
 * @throws {EngineRunningError} naming the engine's pid and run id.
 */
export async function refuseNextUnderEngine(planspace: string): Promise<void> {
  const holder = await liveHold(planspacePaths(planspace));
  if (holder === undefined) return;
  throw new EngineRunningError(
    holder.pid,
    `engine pid ${holder.pid} (run ${holder.runId}) is running this planspace; it takes the steps itself: watch it with workflow status ${planspace}, or stop it with workflow abort ${planspace}`,
  );
}
