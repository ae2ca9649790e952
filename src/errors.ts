/**
 * The few error classes planspace throws. Each has a stable `code` that scripts and the CLI
 * rely on; the CLI maps codes to exit codes in one place (`src/cli/exit-codes.ts`).
 */
import { basename, dirname } from 'node:path';

/** A position in a file: 1-based line and column (column counts UTF-16 code units). */
export interface SourcePosition {
  /** Path of the file, or a label such as `<argument>` for text that came from argv. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column number. */
  readonly column: number;
}

/** One problem found in a schedule: where it is, what was expected and what was found. */
export interface Problem extends SourcePosition {
  /** What the grammar wanted at this position, e.g. `a status marker such as [wait]`. */
  readonly expected: string;
  /** What the file holds there, quoted, e.g. `'x'` or `end of line`. */
  readonly found: string;
}

/** Formats a problem as `file:line:column: expected X, found Y`, the form editors jump to. */
export function formatProblem(problem: Problem): string {
  return `${problem.file}:${problem.line}:${problem.column}: expected ${problem.expected}, found ${problem.found}`;
}

/** Base class: every planspace error carries a stable, machine-readable `code`. */
export class PlanspaceError extends Error {
  /** Stable identifier, e.g. `E_SCHEDULE_INVALID`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The schedule (or a single step line) does not fit the grammar of DESIGN.md §2.
 * `problems` lists every problem in the input, in file order; the message shows them all,
 * one per line.
 */
export class ScheduleSyntaxError extends PlanspaceError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    super('E_SCHEDULE_INVALID', problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

/**
 * The planspace has no `schedule.md` (or the path given is not a planspace). The message names
 * the folder the user gave: `./nope is not a planspace (no schedule.md)`; for the schedule file
 * itself given as the planspace (`plan/schedule.md`, which makes the read fail with `ENOTDIR`),
 * `plan/schedule.md is a file; give its folder: plan`.
 */
export class ScheduleNotFoundError extends PlanspaceError {
  /** The schedule file that is missing, `<planspace>/schedule.md`. */
  readonly path: string;

  /**
   * @param path - the schedule file looked for, `<planspace>/schedule.md`.
   * @param options - `cause`: the fs error (`ENOENT`, `ENOTDIR`), which picks the message.
   */
  constructor(path: string, options?: ErrorOptions) {
    super('E_SCHEDULE_MISSING', missingScheduleMessage(path, options?.cause), options);
    this.path = path;
  }
}

/** The message of `ScheduleNotFoundError`, in terms of the planspace folder the user gave. */
function missingScheduleMessage(path: string, cause: unknown): string {
  const planspace = basename(path) === SCHEDULE_FILE ? dirname(path) : path;
  if (isErrno(cause, 'ENOTDIR') && basename(planspace) === SCHEDULE_FILE) {
    return `${planspace} is a file; give its folder: ${dirname(planspace)}`;
  }
  return `${planspace} is not a planspace (no ${SCHEDULE_FILE})`;
}

/** The schedule's file name in a planspace (DESIGN.md §1). */
const SCHEDULE_FILE = 'schedule.md';

/**
 * The schedule holds no step line at all: `workflow run` would call it COMPLETE, which hides a
 * schedule whose steps the grammar did not recognise. `run` and `check` refuse it (exit 2).
 */
export class NoStepsError extends PlanspaceError {
  /** The schedule file. */
  readonly path: string;

  constructor(path: string) {
    super('E_NO_STEPS', `${path} has no steps (a step line looks like: [wait] 1. name | model -- description)`);
    this.path = path;
  }
}

/**
 * `workflow abort` found no live engine holding the planspace: nothing to stop. The CLI exits
 * with a code of its own (5), so that a script can tell it from a failure to stop one.
 */
export class NoEngineError extends PlanspaceError {
  constructor(planspace: string) {
    super('E_NO_ENGINE', `no engine is running ${planspace}`);
  }
}

/**
 * A verb found no step to act on: no `[run]` step to mark, no `[fail]` step to retry, or
 * no step with the number given. The CLI prints the message as `ERROR: ...` and exits 1.
 */
export class NoSuchStepError extends PlanspaceError {
  constructor(message: string) {
    super('E_NO_STEP', message);
  }
}

/**
 * `workflow retry|done|fail|skip N` on a step that a live engine is still working on: a `[run]`
 * step (its agent, or a retry backoff), or a `[fail]` step whose escalation waits for a human.
 * A change would start a second attempt beside the live one, be overwritten when the engine
 * settles the step, or leave the question hanging. The CLI prints the message (which says
 * what to do instead) as `ERROR: ...` and exits 1.
 */
export class StepRunningError extends PlanspaceError {
  readonly step: number;

  constructor(step: number, message: string) {
    super('E_STEP_RUNNING', message);
    this.step = step;
  }
}

/**
 * `workflow next` on a planspace a live engine runs: the engine takes the steps itself, and
 * the `[run]` step `next` would print for session recovery is the engine's, not a dead
 * session's. The CLI prints the message as `ERROR: ...` and exits 1.
 */
export class EngineRunningError extends PlanspaceError {
  /** The live engine's pid. */
  readonly pid: number;

  constructor(pid: number, message: string) {
    super('E_ENGINE_RUNNING', message);
    this.pid = pid;
  }
}

/**
 * `workflow run --goal`: the planner agent failed (a non-zero exit, a timeout, a stall) or its
 * last non-empty line is not `SELECT: <numbers>` or `SELECT: none <reason>`, or names a step the
 * schedule lacks. Nothing was dispatched. The CLI prints the message, which quotes what the
 * planner said, and exits 1.
 */
export class PlannerError extends PlanspaceError {
  /** The planner's last non-empty line ('' for none). */
  readonly line: string;

  constructor(message: string, line: string) {
    super('E_PLANNER', message);
    this.line = line;
  }
}

/**
 * `workflow add` refused by the loop guard: the schedule already holds `--max-steps` steps, or
 * the adding step already added `--max-added` steps in this run. The line itself was fine; the
 * run must stop adding. The CLI prints the message as `ERROR: ...` and exits 1.
 */
export class AddLimitError extends PlanspaceError {
  /** Which limit: `max-steps` or `max-added`. */
  readonly limit: 'max-steps' | 'max-added';

  constructor(limit: 'max-steps' | 'max-added', message: string) {
    super('E_ADD_LIMIT', message);
    this.limit = limit;
  }
}

/** Bad usage of a command or a library function: a malformed argument or option value. */
export class UsageError extends PlanspaceError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_USAGE', message, options);
  }
}

/**
 * The inter-process lock on a file could not be taken in time, or was lost (another
 * process judged it stale) while held; nothing was written.
 */
export class LockError extends PlanspaceError {
  readonly path: string;

  constructor(path: string, message: string, options?: ErrorOptions) {
    super('E_LOCK', `${path}: ${message}`, options);
    this.path = path;
  }
}

/** True when `error` is a Node.js system error with the given errno code (e.g. `ENOENT`). */
export function isErrno(error: unknown, code: string): error is NodeJS.ErrnoException {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
