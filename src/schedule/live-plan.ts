/**
 * The planner of `plan.ts` kept current across a run, so that taking the next steps costs
 * what changed, not the length of the schedule. Built once from a parsed schedule (O(n)); each
 * `take` then settles a step, applies the skips and starts the ready steps by following only
 * the dependents of the steps that changed. The bytes to write are kept too (`MarkerBytes`),
 * so a take's new text costs one copy of the bytes.
 *
 * `take` gives what `takeSteps` (operations.ts) gives on the same statuses; a property test
 * holds the two equal. Only the changes made through `take` are followed: a change made by
 * anyone else needs a new `LivePlan` from the file (see `ScheduleCache`).
 */
import { NoSuchStepError } from '../errors.js';
import { effectiveNeeds } from './checks.js';
import { MarkerBytes } from './marker-bytes.js';
import { withStatus } from './mutate.js';
import { verbPhrase, type TakeOptions, type TakeOutcome } from './operations.js';
import { needPositions, outcomes, planSteps, readiness, stepOutcome, type Outcome, type PlannedSkip } from './plan.js';
import type { Schedule, Step, StepStatus } from './step.js';

/** Options of `LivePlan.take`: `takeSteps`'s, but the selection is the plan's own. */
export type LiveTakeOptions = Omit<TakeOptions, 'only'>;

/**
 * What `LivePlan.take` did: `takeSteps`'s outcome, and `overruled`: the steps whose status in
 * the file the plan did not follow, because the caller settled them (see the `pinned`
 * parameter of the constructor). Reported by the first take of a plan only.
 */
export interface LiveTakeOutcome extends TakeOutcome {
  readonly overruled: readonly Step[];
}

/** Statuses a run settled steps to, by step number (see `LivePlan`'s constructor). */
export type SettledSteps = ReadonlyMap<number, 'done' | 'skip'>;

const settled = (status: StepStatus): boolean => status === 'done' || status === 'skip';

/** A schedule's steps and plan, changed in place by `take`. */
export class LivePlan {
  /** The steps with their current statuses. `offset` is the one in the text they were parsed from. */
  readonly #steps: Step[];
  /** Each step's status as the plan sees it: `done` for steps outside the selection. */
  readonly #planned: StepStatus[];
  readonly #selected: boolean[];
  readonly #position = new Map<number, number>();
  readonly #needs: (readonly number[])[];
  /** Positions of the steps that need each step. */
  readonly #dependents: number[][];
  readonly #outcome: Outcome[];
  /** Positions of the `[wait]` steps that are ready. */
  readonly #ready = new Set<number>();
  /** Positions of the `[run]` steps (actual status). */
  readonly #running = new Set<number>();
  /** Steps the plan sees neither done nor skipped, and those of them running. */
  #remaining = 0;
  #plannedRunning = 0;
  readonly #bytes: MarkerBytes;
  /** Skips found when the plan was built, reported and written by the first `take`. */
  #skips: PlannedSkip[] = [];
  /** Settled steps the file says otherwise of, reported by the first `take`. */
  #overruled: Step[];
  #changed = false;
  readonly #only: ReadonlySet<number> | undefined;
  readonly #pinned: SettledSteps | undefined;

  /**
   * @param schedule - the parsed schedule.
   * @param only - the steps that may start; the others count as `[done]` (never written).
   *   Default: every step.
   * @param pinned - steps the caller settled itself (the engine: in this run), with their
   *   status: whatever the file says of them now (an older copy written back by hand), the plan
   *   counts them so, never starts or resumes them, and does not write them. Default: none.
   */
  constructor(schedule: Schedule, only?: ReadonlySet<number>, pinned?: SettledSteps) {
    const steps = schedule.steps;
    this.#only = only;
    this.#pinned = pinned;
    this.#steps = [...steps];
    this.#selected = steps.map(
      (step) => (only === undefined || only.has(step.number)) && pinned?.has(step.number) !== true,
    );
    const planned = steps.map((step, i) =>
      this.#selected[i] === true ? step : withStatus(step, pinned?.get(step.number) ?? 'done'),
    );
    this.#overruled = steps.filter((step) => {
      const status = pinned?.get(step.number);
      return status !== undefined && status !== step.status;
    });
    this.#needs = needPositions(planned);
    this.#dependents = steps.map(() => []);
    this.#needs.forEach((needs, i) => {
      for (const need of needs) this.#dependents[need]?.push(i);
    });
    this.#bytes = new MarkerBytes(schedule);
    for (const [i, step] of steps.entries()) {
      this.#position.set(step.number, i);
      if (step.status === 'run') this.#running.add(i);
    }
    const plan = planSteps(planned);
    this.#planned = plan.steps.map((step) => step.status);
    this.#outcome = outcomes(plan.steps, this.#needs);
    for (const step of plan.ready) this.#ready.add(this.#position.get(step.number) ?? -1);
    for (const { step } of plan.skips) this.#setActual(this.#position.get(step.number) ?? -1, 'skip');
    this.#skips = [...plan.skips];
    for (const status of this.#planned) {
      if (!settled(status)) this.#remaining += 1;
      if (status === 'run') this.#plannedRunning += 1;
    }
  }

  /** The schedule's UTF-8 bytes with every status change made so far: what to write. */
  get bytes(): Buffer {
    return this.#bytes.bytes;
  }

  /** The schedule text with every status change made so far. */
  get text(): string {
    return this.bytes.toString('utf8');
  }

  /** True when a `take` (or the plan's construction) changed a status the file does not have yet. */
  get changed(): boolean {
    return this.#changed;
  }

  /**
   * The steps step `number` needs: those of its `needs:`, or the step before it in the file.
   * Undefined for a step the plan does not hold.
   */
  needsOf(number: number): readonly Step[] | undefined {
    const i = this.#position.get(number);
    if (i === undefined) return undefined;
    return (this.#needs[i] ?? []).map((need) => this.#steps[need]).filter((need) => need !== undefined);
  }

  /**
   * Takes in steps appended to the schedule after its last step (see `parseAppendedSteps`),
   * as a new plan of the whole text would have them: selected, pinned, planned, ready or
   * skipped (a skip is reported and written by the next `take`). Costs the new steps and
   * their needs, not the schedule's length: no step before them can need them.
   *
   * @param steps - the appended steps, in file order, `offset`s in the whole text.
   * @param bytes - the whole new bytes: the plan's `bytes` (none unwritten) followed by `tail`'s.
   * @param tail - the appended text, starting at character offset `tailOffset`.
   * @throws {Error} when `bytes` do not extend the plan's bytes (a bug: build a new plan).
   */
  append(steps: readonly Step[], bytes: Buffer, tail: string, tailOffset: number): void {
    this.#bytes.append(steps, bytes, tail, tailOffset);
    const first = this.#steps.length;
    for (const step of steps) this.#position.set(step.number, this.#steps.push(step) - 1);
    for (let i = first; i < this.#steps.length; i += 1) {
      const step = this.#step(i);
      const pinned = this.#pinned?.get(step.number);
      const selected = (this.#only === undefined || this.#only.has(step.number)) && pinned === undefined;
      const status = selected ? step.status : (pinned ?? 'done');
      if (pinned !== undefined && pinned !== step.status) this.#overruled.push(step);
      this.#selected.push(selected);
      this.#planned.push(status);
      const needs = effectiveNeeds(this.#steps, i).map((number) => this.#position.get(number) ?? -1);
      this.#needs.push(needs);
      this.#dependents.push([]);
      for (const need of needs) this.#dependents[need]?.push(i);
      if (step.status === 'run') this.#running.add(i);
      if (!settled(status)) this.#remaining += 1;
      if (status === 'run') this.#plannedRunning += 1;
    }
    // Outcomes in file order, as `outcomes` does; a need further down the tail is worked out first.
    const outcomeAt = (i: number): Outcome => {
      const known = this.#outcome[i];
      if (known !== undefined) return known;
      const value = stepOutcome(this.#plannedStep(i), this.#needs[i] ?? [], outcomeAt);
      this.#outcome[i] = value;
      return value;
    };
    for (let i = first; i < this.#steps.length; i += 1) outcomeAt(i);
    // As `planSteps`: each waiting step is ready, waits, or is skipped, and a skip follows
    // through the steps after it (`#set`).
    for (let i = first; i < this.#steps.length; i += 1) {
      if (this.#planned[i] !== 'wait') continue;
      const skip = this.#classify(i);
      if (skip !== undefined) {
        this.#skips.push({ step: this.#step(i), reason: skip });
        this.#set(i, 'skip', this.#skips);
      }
    }
  }

  /** Call once the text is written. */
  written(): void {
    this.#changed = false;
  }

  /**
   * Settles a step, then takes every ready step up to a limit, as `takeSteps` does.
   *
   * @throws {NoSuchStepError} if `settle` names no step. The plan may then be part-changed:
   *   build a new one.
   */
  take(options: LiveTakeOptions = {}): LiveTakeOutcome {
    const { limit = Number.POSITIVE_INFINITY, running = new Set<number>(), settle } = options;
    const skips = this.#skips;
    this.#skips = [];
    const overruled = this.#overruled;
    this.#overruled = [];
    if (settle !== undefined) {
      const i = this.#position.get(settle.number);
      if (i === undefined) throw new NoSuchStepError(`no step ${settle.number} to ${verbPhrase(settle.status)}`);
      this.#set(i, settle.status, skips);
    }
    const byPosition = (a: number, b: number): number => a - b;
    const resumed = [...this.#running]
      .filter((i) => this.#selected[i] === true && !running.has(this.#steps[i]?.number ?? -1))
      .sort(byPosition);
    // A step reset to [wait] while its old task still lives is taken once that task has ended.
    const ready = [...this.#ready].filter((i) => !running.has(this.#steps[i]?.number ?? -1)).sort(byPosition);
    const started = ready.slice(0, Math.max(0, limit - resumed.length));
    for (const i of started) this.#set(i, 'run', skips);
    let state: TakeOutcome['state'] = 'open';
    let stuck: Step | undefined;
    if (this.#remaining === 0) state = 'complete';
    else if (this.#plannedRunning === 0) {
      state = 'blocked';
      const first = (wanted: (status: StepStatus) => boolean): number => this.#planned.findIndex(wanted);
      const at = first((status) => status === 'fail');
      stuck = this.#steps[at === -1 ? first((status) => !settled(status)) : at];
    }
    skips.sort((a, b) => a.step.line - b.step.line);
    return {
      started: started.map((i) => this.#step(i)),
      held: ready.length - started.length,
      remaining: this.#remaining,
      resumed: resumed.map((i) => this.#step(i)),
      skipped: skips,
      state,
      ...(stuck && { stuck }),
      overruled,
    };
  }

  #step(i: number): Step {
    const step = this.#steps[i];
    if (!step) throw new Error(`no step at position ${i}`);
    return step;
  }

  /** Changes the actual status of the step at `i` and its marker in the text. */
  #setActual(i: number, status: StepStatus): void {
    const step = this.#step(i);
    if (step.status === 'run') this.#running.delete(i);
    if (status === 'run') this.#running.add(i);
    this.#steps[i] = withStatus(step, status);
    this.#bytes.set(i, status);
    this.#changed = true;
  }

  /**
   * Changes the step at `i` to `status` and follows the change through its dependents:
   * outcomes that change, `[wait]` steps that become ready, and skips (added to `skips`, and
   * followed in turn). Worklists rather than recursion: a long chain of skips cannot overflow
   * the call stack.
   */
  #set(i: number, status: StepStatus, skips: PlannedSkip[]): void {
    const changes: [number, StepStatus][] = [[i, status]];
    const queued = new Set<number>();
    const classify = (at: number): void => {
      const reason = queued.has(at) ? undefined : this.#classify(at);
      if (reason === undefined) return;
      queued.add(at);
      skips.push({ step: this.#step(at), reason });
      changes.push([at, 'skip']);
    };
    for (let change = changes.pop(); change !== undefined; change = changes.pop()) {
      const [at, to] = change;
      this.#setActual(at, to);
      if (this.#selected[at] !== true) continue;
      const before = this.#planned[at] ?? 'wait';
      this.#remaining += Number(settled(before)) - Number(settled(to));
      this.#plannedRunning += Number(to === 'run') - Number(before === 'run');
      this.#planned[at] = to;
      this.#ready.delete(at);
      if (to === 'wait') classify(at);
      // Positions whose outcome may have changed.
      const work = [at];
      for (let next = work.pop(); next !== undefined; next = work.pop()) {
        const needs = this.#needs[next] ?? [];
        const value = stepOutcome(this.#plannedStep(next), needs, (need) => this.#outcome[need] ?? 'pending');
        if (value === this.#outcome[next]) continue;
        this.#outcome[next] = value;
        for (const dependent of this.#dependents[next] ?? []) {
          const planned = this.#planned[dependent];
          if (planned === 'wait') classify(dependent);
          else if (planned !== undefined && settled(planned)) work.push(dependent);
        }
      }
    }
  }

  /** The step at `i` with the status the plan sees. */
  #plannedStep(i: number): Step {
    const step = this.#step(i);
    const status = this.#planned[i] ?? step.status;
    return step.status === status ? step : withStatus(step, status);
  }

  /** Re-decides the `[wait]` step at `i`: ready or not; returns why to skip it, if it is to be skipped. */
  #classify(i: number): string | undefined {
    const state = readiness(this.#steps, i, this.#needs, this.#outcome);
    if (state === 'ready') this.#ready.add(i);
    else this.#ready.delete(i);
    return typeof state === 'object' ? state.skip : undefined;
  }
}
