/**
 * The data model of a schedule (DESIGN.md §2): steps with their line numbers, statuses and
 * attributes. Pure types and constants; no I/O.
 */

/** The five statuses a step's marker can hold, in the order `status` reports them. */
export const STEP_STATUSES = ['wait', 'run', 'done', 'fail', 'skip'] as const;

/** A step's status, written in the schedule as the marker `[wait]`, `[run]`, ... */
export type StepStatus = (typeof STEP_STATUSES)[number];

/** True when `word` is one of the five status words. */
export function isStepStatus(word: string): word is StepStatus {
  return (STEP_STATUSES as readonly string[]).includes(word);
}

/** Which outcomes of a step's needs let it run (attribute `when:`). */
export type RunCondition = 'success' | 'failure' | 'always';

/**
 * The engine's extensions to a step, written as indented list items directly under the step
 * line (`  - timeout: 30m`). Every field is optional; absent means the default noted.
 */
export interface StepAttributes {
  /** Step numbers this step waits for; `[]` for `needs: none`. Default: the step before it. */
  readonly needs?: readonly number[];
  /** Which outcomes of the needs let the step run. Default `success`. */
  readonly when?: RunCondition;
  /** Names of parallel blocks; the step runs one agent per block. */
  readonly blocks?: readonly string[];
  /** Extra attempts after a failure before the exception handler is called. Default 0. */
  readonly retries?: number;
  /** Base delay before a retry, in ms; doubled per attempt, with jitter. */
  readonly backoffMs?: number;
  /** Kill the agent's process tree and fail the step after this many ms. */
  readonly timeoutMs?: number;
  /** No output and no `progress:` message for this many ms counts as a stall. */
  readonly stallMs?: number;
  /**
   * Shell commands (`verify:`, one per item, in order) run with `sh -c` in the unit's working
   * tree after its agent succeeded; each must exit 0 for the attempt to succeed. Default: the
   * run's `--verify` commands, else none.
   */
  readonly verify?: readonly string[];
  /**
   * `worktree`: each attempt of each unit runs in a git worktree of its own and is merged into
   * the codespace's branch when it succeeds; `none`: in the codespace. Default: the run's
   * `--isolation` (itself `none` by default).
   */
  readonly isolation?: 'worktree' | 'none';
  /**
   * Best of N: this many candidates (2 to 16) of the step run at once, each in a worktree of
   * its own from the same base; one is picked by `judge` and merged. Candidate k's model is
   * the step's k-th model, cycling. Not with `blocks:`.
   */
  readonly candidates?: number;
  /**
   * How a candidate is picked: `first` (the first eligible one; the others are stopped),
   * `smallest` (the eligible one with the smallest diff), or a model name (a judge agent with
   * that model picks). Default `first`. Only with `candidates:`.
   */
  readonly judge?: string;
  /**
   * Paths or globs (`outputs:`, one per item) relative to the unit's working tree that its agent
   * must produce: once the agent succeeded, and before `verify:`, a path that does not exist or
   * a glob that matches no file fails the attempt. A folder stands for every file under it. The
   * files are recorded with their sizes and SHA-256 in `artifacts/step-N-outputs.json` and listed
   * in the prompts of the steps that need this one. Never absolute, never with `..`; not with
   * `blocks:`.
   */
  readonly outputs?: readonly string[];
  /**
   * The step whose agent added this one with `workflow add` (written by it, from
   * `WORKFLOW_STEP`); counted by the loop guard (`--max-added`). Informative otherwise.
   */
  readonly addedBy?: number;
}

/** One step of a schedule, as parsed from its line. */
export interface Step {
  /** 1-based line number of the step line in its file (1 for a line given alone). */
  readonly line: number;
  /** Offset of the line's first character in the schedule text (0 for a line given alone). */
  readonly offset: number;
  readonly status: StepStatus;
  /** The step number: a positive safe integer, unique in the schedule. */
  readonly number: number;
  /** The text between `N. ` and the first ` | `. */
  readonly name: string;
  /** The comma list between ` | ` and the first ` -- `; the first model is the step's agent. */
  readonly models: readonly string[];
  /** The text between ` -- ` and the ref, exactly as written. */
  readonly description: string;
  /** The content of the last balanced parenthesised group ending the line, if any. */
  readonly ref: string | undefined;
  /** Spaces or tabs after the end of the step, kept so formatting is byte-exact. */
  readonly trailing: string;
  readonly attributes: StepAttributes;
  /** The step line exactly as written, without its line ending. */
  readonly text: string;
}

/** A parsed schedule: every step in file order, plus the exact text it came from. */
export interface Schedule {
  /** Path or label the text came from, used in error positions. */
  readonly file: string;
  /** The whole schedule text, byte for byte (decoded as UTF-8). */
  readonly text: string;
  readonly steps: readonly Step[];
}

/** Counts of steps per status, as printed by `workflow status`. */
export interface StatusCounts {
  readonly total: number;
  readonly done: number;
  readonly running: number;
  readonly failed: number;
  readonly waiting: number;
  readonly skipped: number;
}

/** Counts the steps of a schedule by status. */
export function countStatuses(steps: readonly Step[]): StatusCounts {
  return countStatusList(steps.map((step) => step.status));
}

/** Counts a list of statuses (one per step) by status. */
export function countStatusList(statuses: readonly StepStatus[]): StatusCounts {
  const by = (status: StepStatus): number => statuses.filter((each) => each === status).length;
  return {
    total: statuses.length,
    done: by('done'),
    running: by('run'),
    failed: by('fail'),
    waiting: by('wait'),
    skipped: by('skip'),
  };
}
