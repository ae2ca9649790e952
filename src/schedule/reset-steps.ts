/**
 * Turns several settled steps back to `[wait]` in one locked write: what `workflow rollback`
 * does to the steps settled after the checkpoint it rolls back to.
 */
import { planspacePaths } from '../planspace/paths.js';
import { updateScheduleFile } from './file.js';
import { setStepStatuses, withStatus } from './mutate.js';
import type { StepChange } from './operations.js';

/**
 * Sets each step of `numbers` that is `[done]`, `[fail]` or `[skip]` to `[wait]`, as read under
 * the schedule's lock; steps in another status (taken meanwhile) and numbers the schedule lacks
 * are left alone. Writes nothing when no step changes.
 *
 * @param planspace - the planspace folder.
 * @param numbers - the steps to reset.
 * @returns the steps changed, in schedule order.
 * @throws {ScheduleNotFoundError} / {ScheduleSyntaxError} / {LockError}; nothing written.
 */
export function resetSettledSteps(planspace: string, numbers: ReadonlySet<number>): Promise<StepChange[]> {
  return updateScheduleFile(planspacePaths(planspace).schedule, (schedule) => {
    const chosen = schedule.steps.filter(
      (step) =>
        numbers.has(step.number) && (step.status === 'done' || step.status === 'fail' || step.status === 'skip'),
    );
    if (chosen.length === 0) return { result: [] };
    return {
      text: setStepStatuses(
        schedule.text,
        chosen.map((step) => ({ step, status: 'wait' as const })),
      ),
      result: chosen.map((step) => ({ before: step, after: withStatus(step, 'wait') })),
    };
  });
}
