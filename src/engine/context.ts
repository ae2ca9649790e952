/**
 * What every part of a run shares: paths, sources, the resolved registry, the engine's
 * mailbox, the agent slots, and the run's log.
 */
import type { ProcessTrees } from '../dispatch/trees.js';
import type { RunEvent } from '../planspace/log.js';
import type { HeldFolder } from '../fs/held-folder.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import type { Step } from '../schedule/step.js';
import type { VerifyFailure } from '../verify/failure.js';
import type { AttemptNumbers } from './artifacts.js';
import type { Isolation, IsolationMode } from './isolation.js';
import type { EngineMailbox } from './messages.js';
import type { Resolved, Sources } from './preflight.js';

/** Timings a run can be given; every one has a default. */
export interface EngineTimings {
  /** After a `done:`/`fail:` report, how long an agent may keep running before it is stopped, in ms. Default 10000. */
  readonly reportGraceMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping an agent, in ms. Default 2000. */
  readonly killGraceMs?: number;
}

/** One agent's share of a step: the whole step, or one of its blocks. */
export interface Unit {
  readonly step: Step;
  /** The block name, for a step with `blocks:`. */
  readonly block?: string;
  /**
   * The candidate number k (1-based), for a step with `candidates: N`: one of N independent
   * tries of the whole step (`src/candidates/`). Never with `block`.
   */
  readonly candidate?: number;
}

/** The run's shared state, handed to each step's task. */
export interface EngineContext {
  readonly paths: PlanspacePaths;
  /**
   * `artifacts/` as the run started with it: `assertSame()` before every write into it (a
   * prompt, an output file), so that a link swapped in its place is never written through.
   */
  readonly artifacts: HeldFolder;
  readonly sources: Sources;
  readonly resolved: Resolved;
  /** The run id of the whole run; each dispatch's run id starts with it. */
  readonly runBase: string;
  /**
   * What every agent inherits under its `WORKFLOW_*` variables (see `agentBaseEnvironment`):
   * the engine's environment as the run started, with `PATH` and `WORKFLOW_NODE`, built once.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** Where every process of every agent is tracked, to be killed with it. */
  readonly trees: ProcessTrees;
  readonly timings: EngineTimings;
  /** Aborted when the run must stop. */
  readonly signal: AbortSignal;
  readonly mailbox: EngineMailbox;
  /** Runs `task` once one of the `--concurrency` agent slots is free, holding it until `task` settles. */
  slots<T>(task: () => Promise<T>): Promise<T>;
  /** Steps the exception handler fixed once; a second failure escalates. */
  readonly fixed: Set<number>;
  /** Human guidance for a step's next prompt. */
  readonly guidance: Map<number, string>;
  /** The run's `--verify` commands: those of every step without `verify:` of its own. */
  readonly verify: readonly string[];
  /**
   * The failed verification of each unit's latest attempt, by unit stem (`unitStem`), for its
   * next attempt's prompt; removed when an attempt ends otherwise.
   */
  readonly verifyFailures: Map<string, VerifyFailure>;
  /**
   * The declared outputs (`outputs:`) missing from each unit's latest attempt, by unit stem,
   * for its next attempt's prompt; removed when an attempt ends otherwise.
   */
  readonly outputsMissing: Map<string, readonly string[]>;
  /**
   * The steps `step` needs: those of its `needs:`, or the step before it (for its "Inputs"), as
   * of the run's last read of the schedule; [] before the first.
   */
  needsOf(step: Step): readonly Step[];
  /** Blocks of each step already done in this run: not run again when the step is retried. */
  readonly blocksDone: Map<number, Set<string>>;
  /**
   * Steps this run settled, with their status: never taken again in this run, whatever
   * `schedule.md` says of them later (an older copy written back by hand).
   */
  readonly settledSteps: Map<number, 'done' | 'skip'>;
  /** Skill sections by ref, read once per run (blocks and retries share them). */
  readonly sections: Map<string, Promise<string>>;
  /** The number of each unit's next attempt, which names its artifact files (`artifacts.ts`). */
  readonly attempts: AttemptNumbers;
  /** `--isolation`: how units whose step sets no `isolation:` run. Default `none`. */
  readonly isolationMode: IsolationMode;
  /** The run's worktrees and merges; undefined when no step of the run was to be isolated at its start. */
  readonly isolation: Isolation | undefined;
  /**
   * Marks a `[run]` step `[done]` and, in the same locked write, takes the steps that became
   * ready: one schedule write per step on a sequential schedule. Once the write has succeeded,
   * calls `settled` (to log the step), then starts the tasks of the steps taken.
   */
  settle(step: Step, status: 'done', settled: () => Promise<void>): Promise<void>;
  /** Tells the run loop the schedule changed under a running task (a step marked `[fail]`). */
  replan(): void;
  /** Ends the run as an abort (as SIGINT would), e.g. when a human answers `abort`. */
  abort(reason: string): void;
  /** A new run id for a dispatch of step `step` (`x` for the exception handler, `j` for a judge agent). */
  newRunId(step: number, kind?: 'x' | 'j'): string;
  /** Writes an event to the log, `events.jsonl` and the terminal view. */
  log(event: RunEvent, message: string): Promise<void>;
  /** Rewrites `## Position` in `state.md` from what is running now. */
  position(): Promise<void>;
  /** Called when a unit starts or stops running (for `position`). */
  running(unit: Unit, runId: string, started: boolean): void;
}

/** `step-N`, `step-N-block-X` or `step-N-candidate-k`: the stem of a unit's artifact files. */
export function unitStem(unit: Unit): string {
  if (unit.candidate !== undefined) return `step-${unit.step.number}-candidate-${unit.candidate}`;
  return unit.block === undefined ? `step-${unit.step.number}` : `step-${unit.step.number}-block-${unit.block}`;
}

/** `step N (name)`, `step N (name) block X` or `step N (name) candidate k`, for log lines. */
export function unitLabel(unit: Unit): string {
  const step = `step ${unit.step.number} (${unit.step.name})`;
  if (unit.candidate !== undefined) return `${step} candidate ${unit.candidate}`;
  return unit.block === undefined ? step : `${step} block ${unit.block}`;
}
