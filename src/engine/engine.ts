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
 * anything else ends it `blocked`.
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
 * and the run ends with outcome `aborted`.
 */
import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { FOLDER_MODE } from '../fs/guard.js';
import pLimit from 'p-limit';
import { killOrphanAgents } from '../dispatch/orphans.js';
import { openProcessTrees, type ProcessTrees } from '../dispatch/trees.js';
import { UsageError } from '../errors.js';
import { AGENT_COMMANDS } from '../dispatch/shims.js';
import { openInbox, type Inbox } from '../mailbox/receive.js';
import { listAgents } from '../mailbox/registry.js';
import { send } from '../mailbox/send.js';
import { takeHold } from '../planspace/hold.js';
import { logEvent, type LoggedEvent, type RunEvent } from '../planspace/log.js';
import { absolutePlanspacePaths, type PlanspacePaths } from '../planspace/paths.js';
import { assertRunFiles } from '../planspace/run-files.js';
import { writePosition } from '../planspace/state.js';
import { ENGINE_MAILBOX } from '../prompt/render.js';
import { ScheduleCache } from '../schedule/cache.js';
import { readSchedule, retryStep, type TakeOptions, type TakeOutcome } from '../schedule/operations.js';
import type { Step } from '../schedule/step.js';
import { unitLabel, type EngineContext, type EngineTimings, type Unit } from './context.js';
import { Bell, EngineMailbox } from './messages.js';
import { absoluteSources, preflight, type Resolved, type Sources } from './preflight.js';
import { cancelStaleQuestions, listQuestions } from './questions.js';
import { assertRunPaths } from './run-paths.js';
import { describeSelectionEnd, selectSteps, type SelectionEnd } from './select.js';
import { runStep } from './step-run.js';
import { stopRun } from './stopped.js';

/** Agents running at once when `concurrency` is not given. */
export const DEFAULT_CONCURRENCY = 4;

/** Options of `runEngine`. */
export interface EngineOptions extends Sources, EngineTimings {
  readonly planspace: string;
  /** Stops the run: agents' trees are killed and running steps go back to `[wait]`. */
  readonly signal?: AbortSignal;
  /** Receives every event as it is logged (for the terminal view or `--json`). */
  readonly onEvent?: (event: LoggedEvent) => void;
  /** Most agents running at once, steps and blocks together. Default `DEFAULT_CONCURRENCY` (4). */
  readonly concurrency?: number;
  /**
   * Run only these steps; every other step counts as done for `needs` and is left as it is.
   * Default: every step.
   */
  readonly only?: readonly number[];
  /** Run only this step and the steps after it in the file (with `only`: both must hold). Default: every step. */
  readonly from?: number;
  /**
   * Track agents' processes with cgroup v2 where this process may create cgroups (default
   * true); false: with the environment marker only (see `dispatch/trees.ts`).
   */
  readonly cgroups?: boolean;
  /**
   * Aborted when the process must end now (a second Ctrl-C): in the abort event itself, every
   * process of every agent is SIGKILLed and the hold (`engine.json`) removed, synchronously; the
   * caller ends the process right after. `[run]` steps stay `[run]`, for the next run to resume.
   */
  readonly forceSignal?: AbortSignal;
}

/** How a run ended. */
export type EngineOutcome =
  | { readonly kind: 'complete' }
  | ({ readonly kind: 'selection-done' } & SelectionEnd)
  | { readonly kind: 'blocked'; readonly step: Step }
  | { readonly kind: 'aborted'; readonly steps: readonly Step[] };

/**
 * Runs a planspace's schedule to the end.
 *
 * @returns the outcome: `complete`, `selection-done` (every step `only`/`from` selected is
 *   done or skipped, others are not), `blocked` (with the failed step) or `aborted` (with the
 *   steps put back to `[wait]`).
 * @throws {PreflightError} before any agent starts, for unresolvable refs, unknown models or
 *   a missing exception-handler agent file.
 * @throws {PlanspaceBusyError} if another live engine holds the planspace.
 * @throws {UnsafePathError} before anything is written, for a planspace another user owns or
 *   may write to, or a link where the run would write (see `assertRunPaths`).
 * @throws {ScheduleSyntaxError} / {ScheduleNotFoundError} for a bad or missing schedule.
 * @throws {NotRegularFileError} if the schedule, `state.md`, `log.md`, `events.jsonl` or
 *   `engine.json` is a FIFO, socket, device or folder; nothing is written.
 * @throws {UsageError} for a `concurrency` below 1 or an `only` step the schedule lacks.
 * @throws {RunStoppedError} when the run stopped because a file failed under it (the schedule
 *   removed, a full disk), after stopping every agent it started.
 */
export async function runEngine(options: EngineOptions): Promise<EngineOutcome> {
  const paths = absolutePlanspacePaths(options.planspace);
  const sources = absoluteSources(options);
  const schedule = await readSchedule(paths.root);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`--concurrency must be a whole number of at least 1, not ${String(options.concurrency)}`);
  }
  const only = selectSteps(schedule.steps, options, paths.schedule);
  const resolved = await preflight(schedule, sources);
  // Read (and so check) the question records now: a bad one found after the start would leave
  // a log, a mailbox and artifacts behind a run that never ran.
  await listQuestions(paths);
  assertRunPaths(paths, schedule.steps);
  await assertRunFiles(paths);
  const runBase = `r${Date.now().toString(36)}`;
  let orphans: number[] = [];
  const { release, releaseNow, previous } = await takeHold(paths, runBase, (dead) => {
    // A dead engine's agents run on in their own process groups: stop them before they report,
    // and before the hold names this run: killed right after, this run would leave them to nobody.
    orphans = killOrphanAgents(paths.root, dead.runId);
  });
  // From here on a second Ctrl-C must not leave the hold or an agent behind.
  let opened: ProcessTrees | undefined;
  const onForce = (): void => {
    opened?.killAllNow();
    releaseNow();
  };
  options.forceSignal?.addEventListener('abort', onForce, { once: true });
  try {
    if (previous && orphans.length > 0) {
      await logEvent(
        paths,
        { event: 'orphans-killed', pids: orphans, runId: previous.runId },
        `killed ${orphans.length} agent processes left by a dead engine (run ${previous.runId})`,
      );
    }
    await mkdir(paths.artifacts, { recursive: true, mode: FOLDER_MODE });
    const trees = await openProcessTrees({ runId: runBase, cgroups: options.cgroups });
    opened = trees;
    try {
      const inbox = await openInbox(paths.root, ENGINE_MAILBOX);
      try {
        const engine = new Engine(paths, sources, resolved, runBase, inbox, options, concurrency, only, trees);
        return await engine.run();
      } finally {
        await inbox.close();
      }
    } finally {
      await trees.close();
    }
  } finally {
    options.forceSignal?.removeEventListener('abort', onForce);
    await release();
  }
}

class Engine implements EngineContext {
  readonly paths: PlanspacePaths;
  readonly sources: Sources;
  readonly resolved: Resolved;
  readonly runBase: string;
  readonly commands = AGENT_COMMANDS;
  readonly trees: ProcessTrees;
  readonly timings: EngineTimings;
  readonly mailbox: EngineMailbox;
  readonly fixed = new Set<number>();
  readonly guidance = new Map<number, string>();
  readonly blocksDone = new Map<number, Set<string>>();
  readonly sections = new Map<string, Promise<string>>();
  readonly #options: EngineOptions;
  readonly #concurrency: number;
  readonly #limit: ReturnType<typeof pLimit>;
  /** The schedule as last read or written, re-read only when someone else changed it. */
  readonly #schedule: ScheduleCache;
  /** The steps `only`/`from` selected; undefined for every step. */
  readonly #only: ReadonlySet<number> | undefined;
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
  /** The `## Position` write in flight, and whether another must follow it. */
  #positionWrite: Promise<void> | undefined;
  #positionStale = false;
  /** Why the run must stop (STOPPED): the first error of a task or of NEXT. */
  #failure: unknown;
  #failed = false;
  /** Every step this run took, for STOPPED to put back to `[wait]`. */
  readonly #taken = new Set<number>();

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
  ) {
    this.paths = paths;
    this.trees = trees;
    this.sources = sources;
    this.resolved = resolved;
    this.runBase = runBase;
    this.timings = options;
    this.#options = options;
    this.#concurrency = concurrency;
    this.#limit = pLimit(concurrency);
    this.#only = only;
    this.#schedule = new ScheduleCache(paths.schedule, only);
    this.mailbox = new EngineMailbox(paths, inbox, runBase, (event, message) => this.log(event, message));
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

  newRunId(step: number, kind?: 'x'): string {
    this.#dispatches += 1;
    return `${this.runBase}-${kind ?? ''}${step}-${this.#dispatches}`;
  }

  abort(reason: string): void {
    this.#stop.abort(new Error(reason));
  }

  running(unit: Unit, runId: string, started: boolean): void {
    if (started) this.#running.set(runId, unit);
    else this.#running.delete(runId);
  }

  /**
   * Coalesces: while a write is in flight, later calls share one more write after it, which
   * shows what runs by then. 64 blocks starting at once cost two rewrites of `state.md`, not 64.
   */
  position(): Promise<void> {
    if (this.#positionWrite !== undefined) {
      this.#positionStale = true;
      return this.#positionWrite;
    }
    const write = async (): Promise<void> => {
      do {
        this.#positionStale = false;
        const units = [...this.#running].map(([runId, unit]) => `- ${unitLabel(unit)}: run ${runId}`);
        await this.#writePosition(units.length === 0 ? 'Between steps.' : `Running:\n\n${units.join('\n')}`);
        // Set by calls made during the write, which TypeScript's narrowing cannot see.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      } while (this.#positionStale);
    };
    this.#positionWrite = write().finally(() => {
      this.#positionWrite = undefined;
    });
    return this.#positionWrite;
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
    const pump = this.mailbox.pump(pumpStop.signal);
    try {
      for (;;) {
        if (this.signal.aborted) return await this.#aborted();
        const seen = this.#changed.rings;
        // NEXT, when something may have made a step ready that no settlement has taken yet.
        if (this.#replan || this.#tasks.size === 0) {
          this.#replan = false;
          const take = await this.#take();
          await this.#absorb(take);
          if (this.#tasks.size === 0) return await this.#end(take);
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

  replan(): void {
    this.#replan = true;
    this.#changed.ring();
  }

  /** Settles a step and takes what became ready, in one locked write (see `EngineContext.settle`). */
  async settle(step: Step, status: 'done', settled: () => Promise<void>): Promise<void> {
    const take = await this.#take({ number: step.number, status });
    await settled();
    await this.#absorb(take);
  }

  /** `takeSteps` with this run's free slots, its running steps and its selection. */
  #take(settle?: TakeOptions['settle']): Promise<TakeOutcome> {
    const busy = this.#limit.activeCount + this.#limit.pendingCount;
    return this.#schedule.take({
      limit: Math.max(0, this.#concurrency - busy),
      running: new Set(this.#tasks.keys()),
      settle,
    });
  }

  /** Logs what a take skipped and resumed, and starts a task for each step it took. */
  async #absorb(take: TakeOutcome): Promise<void> {
    this.#held = take.held;
    for (const { step, reason } of take.skipped) {
      await this.log(
        { event: 'skipped', step: step.number, reason },
        `step ${step.number} (${step.name}): skipped, ${reason}`,
      );
    }
    for (const step of take.resumed) {
      await this.log(
        { event: 'resumed', step: step.number },
        `step ${step.number} (${step.name}): was [run] with no engine; dispatching it again`,
      );
    }
    for (const step of [...take.resumed, ...take.started]) {
      // `takeSteps` starts no step this run still runs; should one come anyway, an ended task
      // removes only its own entry, never a newer task's of the same step.
      const ended = (): void => {
        if (this.#tasks.get(step.number) === task) this.#tasks.delete(step.number);
        this.#changed.ring();
      };
      const task: Promise<void> = runStep(this, step).then(
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

  /** Nothing runs: the run (or its selection) is complete, or blocked on the step `takeSteps` names. */
  async #end(take: TakeOutcome): Promise<EngineOutcome> {
    await this.mailbox.closeRun();
    // `takeSteps` counts unselected steps as done: COMPLETE would hide the steps left waiting.
    const selection =
      take.state === 'complete' && this.#only !== undefined
        ? describeSelectionEnd((await readSchedule(this.paths.root)).steps, this.#only)
        : undefined;
    if (selection) {
      await this.#writePosition(`Selection done: ${selection.summary}.`);
      const { done, skipped, remaining } = selection;
      await this.log(
        { event: 'selection-done', done, skipped, remaining: remaining.length },
        `run done: ${selection.summary}`,
      );
      return { kind: 'selection-done', ...selection };
    }
    if (take.state === 'complete') {
      await this.#writePosition('Complete: every step is done or skipped.');
      await this.log({ event: 'complete' }, 'run complete: every step is done or skipped');
      return { kind: 'complete' };
    }
    const stuck = take.stuck ?? (await readSchedule(this.paths.root)).steps[0];
    if (stuck === undefined) throw new Error('a schedule with no step is complete, not blocked');
    await this.#writePosition(`Blocked at step ${stuck.number} (${stuck.name}).`);
    await this.log(
      { event: 'blocked', step: stuck.number },
      `run blocked: step ${stuck.number} (${stuck.name}) is [${stuck.status}]`,
    );
    return { kind: 'blocked', step: stuck };
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
    throw await stopRun(error, {
      planspace: this.paths.root,
      taken: this.#taken,
      log: (event, message) => this.log(event, message),
      writePosition: (text) => this.#writePosition(text),
    });
  }

  // ABORTED
  async #aborted(): Promise<EngineOutcome> {
    const ours = new Set(this.#tasks.keys());
    // Every task stops its agents on the abort; wait for them to be gone.
    await Promise.all(this.#tasks.values());
    await this.mailbox.closeRun();
    if (this.#failed) return this.#stopped(this.#failure);
    const steps = (await readSchedule(this.paths.root)).steps.filter(
      (step) => step.status === 'run' && ours.has(step.number),
    );
    for (const step of steps) await retryStep(this.paths.root, step.number);
    for (const agent of await listAgents(this.paths.root)) {
      if (agent.status === 'alive' && agent.name !== ENGINE_MAILBOX) {
        await send(this.paths.root, agent.name, 'abort\n', { from: ENGINE_MAILBOX });
      }
    }
    const names = steps.map((step) => `${step.number} (${step.name})`);
    const back =
      names.length === 0
        ? ''
        : `; step${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} back to [wait]`;
    await this.#writePosition(`Aborted${back.replace(/^; s/, ': s')}.`);
    await this.log(
      { event: 'aborted', step: steps[0]?.number, steps: steps.map((step) => step.number) },
      `run aborted${back}`,
    );
    return { kind: 'aborted', steps };
  }

  async #writePosition(text: string): Promise<void> {
    await writePosition(
      this.paths.state,
      `${text}\n\nUpdated ${new Date().toISOString()} by the engine (run ${this.runBase}).`,
    );
  }
}
