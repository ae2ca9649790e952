/**
 * `workflow run`: the event loop that replaces a human or LLM orchestrator (DESIGN.md §5).
 *
 * The run loop is a state machine over the whole schedule; each step it starts lives as its
 * own task, a state machine of its own (DISPATCH, WAIT, RETRY, SETTLE, HANDLE_FAILURE,
 * ASK_HUMAN: see `step-run.ts`).
 *
 * ## NEXT
 * Take every ready step (`needs`, `when`) as `workflow next --all` does, as many as the free
 * `--concurrency` slots allow, and start a task for each. A `[run]` step left by a dead engine
 * is resumed and dispatched under a new run id. With nothing running: `COMPLETE` ends the run
 * (outcome `complete`; with `--only`/`--from`, `selection-done` while unselected steps remain),
 * anything else ends it `blocked` (see `run-end.ts`). What a take skipped, resumed or overruled
 * is logged (`log-take.ts`).
 *
 * ## WAIT
 * Sleep until a task ends or an agent slot frees, then go to NEXT. An abort goes to ABORTED.
 *
 * ## Questions at any time
 * `ask:<tag>:<question>` messages are recorded and announced whenever they arrive; the answer
 * goes to the asker's mailbox as `answer:<text>`, only while the asker's attempt runs. A
 * question closes when its asker's attempt ends, and every question of the run when the run
 * ends (complete, blocked or aborted); a start closes those a dead engine left open.
 *
 * ## STOPPED
 * When a task or NEXT fails (`schedule.md` removed, a full disk): every task stops its agents'
 * process trees, `[run]` steps go back to `[wait]` if the schedule can still be written, the
 * log says why, and the run ends with `RunStoppedError` (see `stopped.ts`).
 *
 * ## ABORTED
 * On abort (SIGINT, SIGTERM, `workflow abort`, a human's `abort`): every task stops its agents'
 * process trees; `[run]` steps go back to `[wait]`, registered live agents are sent `abort`,
 * and the run ends with outcome `aborted` (see `run-end.ts`).
 */
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { agentBaseEnvironment } from '../dispatch/command.js';
import type { ProcessTrees } from '../dispatch/trees.js';
import { addedMayStart } from './added-steps.js';
import { AGENT_COMMANDS } from '../dispatch/shims.js';
import type { Inbox } from '../mailbox/receive.js';
import { logEvent, type RunEvent } from '../planspace/log.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import { holdFolder, type HeldFolder } from '../fs/held-folder.js';
import { DEFAULT_MAX_ADDED, DEFAULT_MAX_STEPS } from '../schedule/add.js';
import { ScheduleCache } from '../schedule/cache.js';
import type { LiveTakeOutcome } from '../schedule/live-plan.js';
import type { TakeOptions } from '../schedule/operations.js';
import type { Step } from '../schedule/step.js';
import type { VerifyFailure } from '../verify/failure.js';
import { AttemptNumbers } from './artifacts.js';
import type { EngineContext, EngineTimings, Unit } from './context.js';
import type { Isolation, IsolationMode } from './isolation.js';
import { logTake } from './log-take.js';
import { Bell, EngineMailbox } from './messages.js';
import { PositionWriter } from './position.js';
import type { Resolved, Sources } from './preflight.js';
import { cancelStaleQuestions } from './questions.js';
import type { EngineOptions, EngineOutcome } from './run-engine.js';
import { abortRun, endRun, type EndTarget } from './run-end.js';
import { runStep } from './step-run.js';
import { stopRun } from './stopped.js';

/** One run of a planspace, from its first NEXT to its end (see the module comment); `runEngine` starts it. */
export class Engine implements EngineContext {
  readonly paths: PlanspacePaths;
  readonly artifacts: HeldFolder;
  readonly sources: Sources;
  readonly resolved: Resolved;
  readonly runBase: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly trees: ProcessTrees;
  readonly timings: EngineTimings;
  readonly mailbox: EngineMailbox;
  readonly fixed = new Set<number>();
  readonly guidance = new Map<number, string>();
  readonly blocksDone = new Map<number, Set<string>>();
  readonly verify: readonly string[];
  readonly verifyFailures = new Map<string, VerifyFailure>();
  readonly outputsMissing = new Map<string, readonly string[]>();
  readonly settledSteps = new Map<number, 'done' | 'skip'>();
  readonly sections = new Map<string, Promise<string>>();
  readonly attempts: AttemptNumbers;
  readonly isolationMode: IsolationMode;
  readonly isolation: Isolation | undefined;
  readonly #options: EngineOptions;
  readonly #concurrency: number;
  readonly #limit: ReturnType<typeof pLimit>;
  /** The schedule as last read or written, re-read only when someone else changed it. */
  readonly #schedule: ScheduleCache;
  /**
   * The steps `only`/`from`/the planner selected, and those the selected steps added during the
   * run (see `ScheduleCache`); undefined for every step.
   */
  readonly #only: Set<number> | undefined;
  /** Aborted by the caller's signal or by `abort()`. */
  readonly #stop = new AbortController();
  /** Rings when a task ends or an agent slot frees: NEXT may find more to start. */
  readonly #changed = new Bell();
  /** The task of each step this run is running, by step number. */
  readonly #tasks = new Map<number, Promise<void>>();
  /** Units running now, by run id, for `## Position`. */
  readonly #running = new Map<string, Unit>();
  #dispatches = 0;
  /** NEXT must read the schedule again: a task ended without settling through `settle`. */
  #replan = true;
  /** Ready steps the last take left `[wait]` for want of a slot. */
  #held = 0;
  /**
   * The last take left no step to start later but those this run's tasks run: once all their
   * agents have started, none is expected (then `trees.quiet()`). A hint only: wrong, it costs
   * the next agent's start a few ms (`ProcessTrees.quiet`).
   */
  #lastWave = false;
  /**
   * An agent of this run added a step (`added:`): more may come from any running agent, so no
   * wave is taken for the last. In a chain of added steps each wave looked last, and every
   * dispatch paid to re-enter the run's cgroup (`ProcessTrees.quiet`): 12 ms a step, twice
   * the engine's whole gap (bench/living.js).
   */
  #living = false;
  /**
   * Steps this run runs: those of `#tasks`, and those a take started whose task `#absorb` has
   * not made yet. Filled under the schedule's lock (`ScheduleCache.take`'s `taken`) and read by
   * the next take under it: a take that overlaps a settlement's (a replan on `added:`) must not
   * find a step just started without a task and dispatch it a second time as resumed.
   */
  readonly #claimed = new Set<number>();
  /** `## Position` in `state.md`. */
  readonly #position: PositionWriter;
  /** Why the run must stop (STOPPED): the first error of a task or of NEXT. */
  #failure: unknown;
  #failed = false;
  /** Every step this run took, for STOPPED to put back to `[wait]`. */
  readonly #taken = new Set<number>();
  /** Settled steps whose contrary status in the file has been logged (once each). */
  readonly #overruled = new Set<number>();
  /** What the ends of the run (`run-end.ts`, `stopped.ts`) need of it. */
  readonly #endTarget: EndTarget;

  constructor(
    paths: PlanspacePaths,
    sources: Sources,
    resolved: Resolved,
    runBase: string,
    inbox: Inbox,
    options: EngineOptions,
    concurrency: number,
    only: ReadonlySet<number> | undefined,
    trees: ProcessTrees,
    isolation: Isolation | undefined,
  ) {
    this.paths = paths;
    // The loop guard's limits reach `workflow add` run by the agents through their environment.
    this.environment = {
      ...agentBaseEnvironment(AGENT_COMMANDS),
      WORKFLOW_MAX_STEPS: String(options.maxSteps ?? DEFAULT_MAX_STEPS),
      WORKFLOW_MAX_ADDED: String(options.maxAdded ?? DEFAULT_MAX_ADDED),
    };
    this.isolationMode = options.isolation ?? 'none';
    this.isolation = isolation;
    this.attempts = new AttemptNumbers(paths.artifacts);
    // Made (0700) by runEngine right before.
    this.artifacts = holdFolder(paths.artifacts, 'artifacts folder');
    this.trees = trees;
    this.sources = sources;
    this.resolved = resolved;
    this.runBase = runBase;
    this.timings = options;
    this.verify = options.verify ?? [];
    this.#options = options;
    this.#concurrency = concurrency;
    this.#limit = pLimit(concurrency);
    // Its own copy, which the cache grows by the steps a selected step adds during the run.
    this.#only = only === undefined ? undefined : new Set(only);
    this.#schedule = new ScheduleCache(paths.schedule, this.#only, this.settledSteps);
    this.mailbox = new EngineMailbox(
      paths,
      inbox,
      runBase,
      (event, message) => this.log(event, message),
      () => {
        this.#living = true;
        if (addedMayStart(this.#schedule.peekAppended(), this.#claimed)) this.replan();
      },
      (before, after) => {
        this.#schedule.noteAppend(before, after);
      },
    );
    this.#position = new PositionWriter(paths.state, runBase, () => this.#running);
    this.#endTarget = {
      planspace: paths.root,
      log: (event, message) => this.log(event, message),
      writePosition: (text) => this.#position.write(text),
    };
    // One abort listener per running agent and per retry backoff: many, by design.
    setMaxListeners(0, this.#stop.signal);
    const external = options.signal;
    if (external?.aborted === true) this.#stop.abort(external.reason);
    external?.addEventListener(
      'abort',
      () => {
        this.#stop.abort(external.reason);
      },
      { once: true },
    );
  }

  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  slots<T>(task: () => Promise<T>): Promise<T> {
    return this.#limit(async () => {
      try {
        return await task();
      } finally {
        // A freed slot matters to NEXT only if ready steps wait for one.
        if (this.#held > 0) this.#replan = true;
        this.#changed.ring();
      }
    });
  }

  newRunId(step: number, kind?: 'x' | 'j'): string {
    this.#dispatches += 1;
    return `${this.runBase}-${kind ?? ''}${step}-${this.#dispatches}`;
  }

  abort(reason: string): void {
    this.#stop.abort(new Error(reason));
  }

  running(unit: Unit, runId: string, started: boolean): void {
    if (!started) {
      this.#running.delete(runId);
      return;
    }
    this.#running.set(runId, unit);
    // Every slot taken holds a started agent, and no unit waits for one.
    const limit = this.#limit;
    if (this.#lastWave && limit.pendingCount === 0 && this.#running.size === limit.activeCount) this.trees.quiet();
  }

  /** Coalesced: 64 blocks starting at once cost two rewrites of `state.md` (see `PositionWriter`). */
  position(): Promise<void> {
    return this.#position.update();
  }

  async log(event: RunEvent, message: string): Promise<void> {
    const logged = await logEvent(this.paths, event, message);
    this.#options.onEvent?.(logged);
  }

  async run(): Promise<EngineOutcome> {
    await this.log(
      { event: 'started', runId: this.runBase, pid: process.pid, tracking: this.trees.mode },
      `engine started (run ${this.runBase}; agents tracked by ${this.trees.mode === 'cgroup' ? 'cgroup' : 'environment marker'})`,
    );
    const reason = 'it was asked during an earlier run';
    for (const question of await cancelStaleQuestions(this.paths, this.runBase, reason)) {
      await this.log(
        { event: 'question-cancelled', question: question.id, step: question.step ?? undefined, reason },
        `question ${question.id} closed: ${reason}`,
      );
    }
    const pumpStop = new AbortController();
    // The engine's mailbox failing under the run (its journal or claims log replaced by a link
    // or a pipe) stops the run like any other file it can no longer use; never left unhandled.
    const pump = this.mailbox.pump(pumpStop.signal).catch((error: unknown) => {
      this.#fail(error);
    });
    try {
      for (;;) {
        if (this.signal.aborted) return await this.#aborted();
        const seen = this.#changed.rings;
        // NEXT, when something may have made a step ready that no settlement has taken yet.
        if (this.#replan || this.#tasks.size === 0) {
          this.#replan = false;
          const take = await this.#take();
          await this.#absorb(take);
          if (this.#tasks.size === 0) {
            await this.mailbox.closeRun();
            return await endRun(take, this.#only, this.#endTarget);
          }
        }
        // WAIT (at once if a task ended or a slot freed meanwhile)
        await this.#changed.wait(this.signal, seen);
      }
    } catch (error) {
      if (this.#failed) throw error;
      this.#fail(error);
      return await this.#stopped(error);
    } finally {
      pumpStop.abort();
      await pump;
      await Promise.all(this.#tasks.values());
    }
  }

  needsOf(step: Step): readonly Step[] {
    return this.#schedule.needsOf(step.number) ?? [];
  }

  replan(): void {
    this.#replan = true;
    this.#changed.ring();
  }

  /** Settles a step and takes what became ready, in one locked write (see `EngineContext.settle`). */
  async settle(step: Step, status: 'done', settled: () => Promise<void>): Promise<void> {
    const take = await this.#take({ number: step.number, status });
    this.settledSteps.set(step.number, status);
    await settled();
    await this.#absorb(take);
  }

  /** `takeSteps` with this run's free slots, its running steps and its selection. */
  #take(settle?: TakeOptions['settle']): Promise<LiveTakeOutcome> {
    const busy = this.#limit.activeCount + this.#limit.pendingCount;
    return this.#schedule.take(
      { limit: Math.max(0, this.#concurrency - busy), running: this.#claimed, settle },
      (take) => {
        for (const step of [...take.started, ...take.resumed]) this.#claimed.add(step.number);
      },
    );
  }

  /** Logs what a take did besides starting steps, and starts a task for each step it took. */
  async #absorb(take: LiveTakeOutcome): Promise<void> {
    this.#held = take.held;
    // Counted with the tasks this take starts below: each runs one of the remaining steps.
    this.#lastWave =
      !this.#living &&
      take.held === 0 &&
      take.remaining <= this.#tasks.size + take.started.length + take.resumed.length;
    await logTake(take, {
      settledSteps: this.settledSteps,
      overruledLogged: this.#overruled,
      log: (event, message) => this.log(event, message),
    });
    const resumed = new Set(take.resumed);
    for (const step of [...take.resumed, ...take.started]) {
      // `takeSteps` starts no step this run still runs; should one come anyway, an ended task
      // removes only its own entry, never a newer task's of the same step.
      const ended = (): void => {
        if (this.#tasks.get(step.number) === task) {
          this.#tasks.delete(step.number);
          this.#claimed.delete(step.number);
        }
        this.#changed.ring();
      };
      const task: Promise<void> = runStep(this, step, resumed.has(step)).then(
        (replan) => {
          if (replan) this.#replan = true;
          ended();
        },
        (error: unknown) => {
          this.#fail(error);
          ended();
        },
      );
      this.#taken.add(step.number);
      this.#tasks.set(step.number, task);
    }
  }

  /** Stops the run on `error` (the first one wins): every task stops its agents, then STOPPED. */
  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#failure = error;
    this.#stop.abort(error);
  }

  // STOPPED
  async #stopped(error: unknown): Promise<never> {
    // Every task stops its agents on the abort `#fail` made; wait for them to be gone.
    await Promise.all(this.#tasks.values());
    throw await stopRun(error, { ...this.#endTarget, taken: this.#taken });
  }

  // ABORTED
  async #aborted(): Promise<EngineOutcome> {
    const ours = new Set(this.#tasks.keys());
    // Every task stops its agents on the abort; wait for them to be gone.
    await Promise.all(this.#tasks.values());
    await this.mailbox.closeRun();
    if (this.#failed) return this.#stopped(this.#failure);
    return abortRun(ours, this.#endTarget);
  }
}
