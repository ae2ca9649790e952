/**
 * The CLI's exit codes, the one place they are defined (DESIGN.md §3).
 */
import {
  AddLimitError,
  EngineRunningError,
  LockError,
  NoEngineError,
  NoSuchStepError,
  PlanspaceError,
  PlannerError,
  StepRunningError,
} from '../errors.js';

export const EXIT = {
  /** Success. */
  ok: 0,
  /**
   * A condition the verb names: no step to act on (or one a live engine runs), `TIMEOUT` from
   * `recv`; `run --goal`: the planner selected nothing, or failed (nothing was dispatched);
   * `add` refused by the loop guard (the line was fine; the run must stop adding).
   */
  condition: 1,
  /** Bad usage or bad input; files were left as they were. */
  usage: 2,
  /** `next`: nothing can run until a failed step is dealt with. */
  blocked: 3,
  /** `run`: the run was aborted (`workflow abort`, SIGINT, SIGTERM); the running step is back to `[wait]`. */
  aborted: 4,
  /** `abort`: no engine is running the planspace, so there was nothing to stop. */
  noEngine: 5,
  /** Stopped by SIGINT or SIGTERM before the verb finished (128 + SIGINT's number). */
  interrupted: 130,
  /** A bug in planspace (an unexpected exception); the stack is printed. */
  bug: 70,
} as const;

/** True for Node.js system errors (`EACCES`, `ENOSPC`, `EROFS`, ...), which name a path. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * Maps an error to an exit code: 1 for a missing step or one a live engine runs (or `next`
 * under a live engine), for a planner that failed (`run --goal`) and for an `add` the loop
 * guard refused, 5 for no engine to abort, 2 for every other planspace error and for
 * file-system errors such as a read-only planspace, 70 for anything else (a bug).
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof NoEngineError) return EXIT.noEngine;
  if (
    error instanceof NoSuchStepError ||
    error instanceof StepRunningError ||
    error instanceof EngineRunningError ||
    error instanceof PlannerError ||
    error instanceof AddLimitError
  ) {
    return EXIT.condition;
  }
  if (error instanceof PlanspaceError || error instanceof LockError || isSystemError(error)) return EXIT.usage;
  return EXIT.bug;
}
