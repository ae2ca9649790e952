/**
 * Steps that `workflow add` appended while the run runs: whether planning again now could
 * start one, or the settlement of a step the run still runs will take them anyway.
 */
import type { Step } from '../schedule/step.js';

/**
 * Whether a take now could start one of `appended`: false when each names in `needs:` a step
 * of `running`, whose settlement takes it anyway (the fix a review adds needs the review), so
 * that a step added by a chain of agents costs one locked take, not two; false also for none
 * (a take since the add planned them). True when in doubt.
 *
 * @param appended - the steps appended since the engine's last take (`ScheduleCache.peekAppended`);
 *   undefined when they could not be read without the lock.
 * @param running - the steps this run has taken and not yet settled.
 */
export function addedMayStart(appended: readonly Step[] | undefined, running: ReadonlySet<number>): boolean {
  if (appended === undefined) return true;
  return !appended.every((step) => step.attributes.needs?.some((need) => running.has(need)) === true);
}
