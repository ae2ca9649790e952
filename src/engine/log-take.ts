/**
 * NEXT's log lines: what a take of the schedule did besides starting steps.
 */
import type { RunEvent } from '../planspace/log.js';
import type { LiveTakeOutcome } from '../schedule/live-plan.js';

/** What `logTake` needs of the engine. */
export interface TakeLogTarget {
  /** The steps this run settled, with their status. */
  readonly settledSteps: ReadonlyMap<number, 'done' | 'skip'>;
  /** Settled steps whose contrary status in the file has been logged; added to here. */
  readonly overruledLogged: Set<number>;
  /** Appends to `log.md` and `events.jsonl`. */
  log(event: RunEvent, message: string): Promise<void>;
}

/**
 * Logs what a take overruled (once per step and run: a step this run settled that
 * `schedule.md` now says is not), skipped (`when:` can no longer hold) and resumed (`[run]`
 * with no engine).
 */
export async function logTake(take: LiveTakeOutcome, target: TakeLogTarget): Promise<void> {
  for (const step of take.overruled) {
    if (target.overruledLogged.has(step.number)) continue;
    target.overruledLogged.add(step.number);
    const settled = target.settledSteps.get(step.number) ?? 'done';
    await target.log(
      { event: 'overruled', step: step.number, settled, status: step.status },
      `step ${step.number} (${step.name}) was settled ${settled} in this run; schedule.md says [${step.status}]: not run again`,
    );
  }
  for (const { step, reason } of take.skipped) {
    await target.log(
      { event: 'skipped', step: step.number, reason },
      `step ${step.number} (${step.name}): skipped, ${reason}`,
    );
  }
  for (const step of take.resumed) {
    await target.log(
      { event: 'resumed', step: step.number },
      `step ${step.number} (${step.name}): was [run] with no engine; dispatching it again`,
    );
  }
}
