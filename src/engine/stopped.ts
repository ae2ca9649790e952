/**
 * STOPPED: the run cannot go on, because a file it must read or write failed under it
 * (`schedule.md` removed, a full disk). The engine has stopped every agent of the run by then.
 * Unlike an abort, the schedule itself may be what failed: steps this run left `[run]` are
 * put back to `[wait]` when the schedule can still be written, else left `[run]`, which the
 * next `workflow run` resumes as it does after a dead engine.
 */
import { PlanspaceError } from '../errors.js';
import type { RunEvent } from '../planspace/log.js';
import { readSchedule, retryStep } from '../schedule/operations.js';

/** The run stopped on an error; every agent it started has been stopped. */
export class RunStoppedError extends PlanspaceError {
  constructor(reason: string, options?: ErrorOptions) {
    super('E_RUN_STOPPED', `run stopped: ${reason}`, options);
  }
}

/**
 * True for the errors a run stops on cleanly: planspace errors (a missing or broken schedule,
 * a lock) and file-system errors (`ENOSPC`, `EROFS`, `EACCES`, which name a path). Anything
 * else is a bug.
 */
export function isStopReason(error: unknown): error is Error {
  return (
    error instanceof PlanspaceError ||
    (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string')
  );
}

/** What `stopRun` needs of the engine. */
export interface StopTarget {
  readonly planspace: string;
  /** The steps this run took: those still `[run]` go back to `[wait]`. */
  readonly taken: ReadonlySet<number>;
  /** Appends to `log.md` and `events.jsonl`. */
  log(event: RunEvent, message: string): Promise<void>;
  /** Rewrites `## Position` in `state.md`. */
  writePosition(text: string): Promise<void>;
}

/**
 * Puts the run's `[run]` steps back to `[wait]` where the schedule allows, logs a `stopped`
 * event (`{"event":"stopped","reason":...}`) and the position, each as far as the disk allows.
 * Call it once every agent of the run has stopped.
 *
 * @returns the error to end the run with: a `RunStoppedError` whose message says why and what
 *   became of the steps.
 * @throws `error` itself when it is not a stop reason (a bug), and any unexpected error of
 *   the writes.
 */
export async function stopRun(error: unknown, target: StopTarget): Promise<RunStoppedError> {
  if (!isStopReason(error)) throw error;
  const reason = error.message.replace(/\r?\n/g, ' ');
  let back = '';
  try {
    const steps = (await readSchedule(target.planspace)).steps.filter(
      (step) => step.status === 'run' && target.taken.has(step.number),
    );
    for (const step of steps) await retryStep(target.planspace, step.number);
    if (steps.length > 0) back = `; step ${steps.map((step) => step.number).join(', ')} back to [wait]`;
  } catch (putBack) {
    // Most often the schedule is what failed: steps left [run] are resumed by the next run.
    if (!isStopReason(putBack)) throw putBack;
  }
  const message = `${reason}; every agent of the run was stopped${back}`;
  for (const write of [
    () => target.log({ event: 'stopped', reason }, `run stopped: ${message}`),
    () => target.writePosition(`Stopped: ${reason}`),
  ]) {
    try {
      await write();
    } catch (failed) {
      // A full disk may refuse these too; the error returned still reaches the terminal.
      if (!isStopReason(failed)) throw failed;
    }
  }
  return new RunStoppedError(message, { cause: error });
}
