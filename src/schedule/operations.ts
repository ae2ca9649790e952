/**
 * The schedule verbs of DESIGN.md §3 as library functions over a planspace folder. The CLI
 * and the engine both call these; each mutation is one locked read-change-write.
 */
import { NoSuchStepError } from '../errors.js';
import { planspacePaths } from '../planspace/paths.js';
import { readScheduleFile, readScheduleText, updateScheduleFile, updateScheduleText } from './file.js';
import { setStepStatus, setStepStatuses, withStatus } from './mutate.js';
import { parseSchedule } from './parse.js';
import { planNext, planSteps, type PlannedSkip } from './plan.js';
import { scanSchedule, type ScannedSchedule } from './scan.js';
import {
  countStatusList,
  countStatuses,
  type Schedule,
  type StatusCounts,
  type Step,
  type StepStatus,
} from './step.js';

/**
 * What `nextStep` did:
 * - `started`: `step` was `[wait]` and is now `[run]`;
 * - `resumed`: `step` was already `[run]` (session recovery); nothing was written;
 * - `complete`: every step is `[done]` or `[skip]`;
 * - `blocked`: nothing can run until `step` (the first `[fail]` step) is dealt with.
 *
 * `skipped` lists steps turned to `[skip]` because their `when:` can no longer hold.
 */
export type NextOutcome = (
  { readonly kind: 'started' | 'resumed' | 'blocked'; readonly step: Step } | { readonly kind: 'complete' }
) & { readonly skipped: readonly PlannedSkip[] };

/**
 * Plans `workflow next` on `steps` (parsed from `text`, except for `changes` already decided on
 * the same text) and returns the new text with those changes and the planned ones applied.
 */
function takeNext(
  text: string,
  steps: readonly Step[],
  changes: readonly { step: Step; status: StepStatus }[] = [],
): { text: string; result: NextOutcome } {
  const decision = planNext(steps);
  const skipped = decision.skips;
  const planned = [...changes, ...skipped.map(({ step }) => ({ step, status: 'skip' as const }))];
  switch (decision.kind) {
    case 'start':
      return {
        text: setStepStatuses(text, [...planned, { step: decision.step, status: 'run' }]),
        result: { kind: 'started', step: withStatus(decision.step, 'run'), skipped },
      };
    case 'resume':
      return { text: setStepStatuses(text, planned), result: { kind: 'resumed', step: decision.step, skipped } };
    case 'blocked':
      return { text: setStepStatuses(text, planned), result: { kind: 'blocked', step: decision.step, skipped } };
    case 'complete':
      return { text: setStepStatuses(text, planned), result: { kind: 'complete', skipped } };
  }
}

/**
 * Takes the next step of a planspace's schedule, as `workflow next` does: resumes the first
 * `[run]` step, or turns the first ready `[wait]` step into `[run]`.
 *
 * @param planspace - the planspace folder.
 * @throws {ScheduleNotFoundError} / {ScheduleSyntaxError} / {LockError}; nothing written.
 */
export async function nextStep(planspace: string): Promise<NextOutcome> {
  const path = planspacePaths(planspace).schedule;
  return updateScheduleText(path, (text) => {
    const scanned = scanSchedule(text, path);
    if (scanned) return takeNextScanned(scanned);
    const schedule = parseSchedule(text, path);
    return takeNext(schedule.text, schedule.steps);
  });
}

/**
 * `takeNext` on a scanned schedule, building only the step it reports. A scanned schedule has
 * no `needs` or `when`, so this is `planNext`'s sequential rule: a `[run]` step resumes, else
 * the first step neither `[done]` nor `[skip]` decides, and nothing is ever skipped.
 */
function takeNextScanned(scanned: ScannedSchedule): { text: string; result: NextOutcome } {
  const { text, statuses } = scanned;
  const running = statuses.indexOf('run');
  if (running !== -1) return { text, result: { kind: 'resumed', step: scanned.step(running), skipped: [] } };
  const first = statuses.findIndex((status) => status !== 'done' && status !== 'skip');
  if (first === -1) return { text, result: { kind: 'complete', skipped: [] } };
  const step = scanned.step(first);
  if (step.status !== 'wait') return { text, result: { kind: 'blocked', step, skipped: [] } };
  return {
    text: setStepStatus(text, step, 'run'),
    result: { kind: 'started', step: withStatus(step, 'run'), skipped: [] },
  };
}

/**
 * Marks step `number` and takes the next step in one locked read and write: what the engine
 * does after every step, in half the file work of `markStep` then `nextStep`.
 *
 * @throws {NoSuchStepError} if there is no step `number`; nothing is written.
 */
export async function markStepAndTakeNext(
  planspace: string,
  status: MarkStatus,
  number: number,
): Promise<{ change: StepChange; next: NextOutcome }> {
  return updateScheduleFile(planspacePaths(planspace).schedule, (schedule) => {
    const before = pickStep(schedule, number, 'run', status);
    const after = withStatus(before, status);
    const steps = schedule.steps.map((step) => (step === before ? after : step));
    const { text, result } = takeNext(schedule.text, steps, [{ step: before, status }]);
    return { text, result: { change: { before, after }, next: result } };
  });
}

/** Options of `takeSteps`. */
export interface TakeOptions {
  /** Start at most this many steps, counting `[run]` steps it resumes. Default: no limit. */
  readonly limit?: number;
  /**
   * Steps the caller is running itself (an agent, a retry backoff, its exception handler or a
   * question about it still live): a `[run]` one is not resumed, and a `[wait]` one (reset by
   * `workflow retry` or the handler meanwhile) is not started, until the caller lets go of it.
   * Never two live attempts of one step. Default: none.
   */
  readonly running?: ReadonlySet<number>;
  /**
   * Only these steps may start; every other step counts as `[done]` for the plan (it is not
   * written). Default: every step.
   */
  readonly only?: ReadonlySet<number>;
  /** First mark this step `[done]`, `[fail]` or `[skip]`, in the same locked write. */
  readonly settle?: { readonly number: number; readonly status: MarkStatus };
}

/**
 * What `takeSteps` did. `started`: steps turned from `[wait]` to `[run]`; `resumed`: `[run]`
 * steps found that the caller is not running (left by a dead engine, or by `next`); `skipped`:
 * steps turned to `[skip]` because their `when:` can no longer hold. `state` is `complete`
 * when every (selected) step is `[done]` or `[skip]`, `blocked` when nothing runs or can
 * start and `stuck` (the first `[fail]`, else `[wait]`, step) remains, else `open`. `held`:
 * ready steps left `[wait]` because of the limit. `remaining`: (selected) steps neither
 * `[done]` nor `[skip]` after the take, `[run]` ones included.
 */
export interface TakeOutcome {
  readonly started: readonly Step[];
  readonly held: number;
  readonly remaining: number;
  readonly resumed: readonly Step[];
  readonly skipped: readonly PlannedSkip[];
  readonly state: 'open' | 'complete' | 'blocked';
  readonly stuck?: Step;
}

/**
 * Takes every ready step at once, up to a limit, in one locked read and write: what
 * `workflow next --all` and the engine do. A step is ready by the rules of `planSteps`
 * (`needs`, `when`).
 *
 * @throws {NoSuchStepError} if `settle` names no step; nothing is written.
 * @throws {ScheduleNotFoundError} / {ScheduleSyntaxError} / {LockError}; nothing written.
 */
export async function takeSteps(planspace: string, options: TakeOptions = {}): Promise<TakeOutcome> {
  return updateScheduleFile(planspacePaths(planspace).schedule, (schedule) => takeFromSchedule(schedule, options));
}

/**
 * The pure core of `takeSteps`: what it takes from `schedule` and the new text.
 *
 * @throws {NoSuchStepError} if `settle` names no step.
 */
export function takeFromSchedule(schedule: Schedule, options: TakeOptions = {}): { text: string; result: TakeOutcome } {
  const { limit = Number.POSITIVE_INFINITY, running = new Set<number>(), only, settle } = options;
  const selected = (step: Step): boolean => only === undefined || only.has(step.number);
  let settled: Step | undefined;
  if (settle !== undefined) settled = pickStep(schedule, settle.number, 'run', settle.status);
  // Steps outside the selection count as done for the plan, and are never written.
  const steps = schedule.steps.map((step) => {
    if (step === settled) return withStatus(step, settle?.status ?? 'done');
    return selected(step) ? step : withStatus(step, 'done');
  });
  const plan = planSteps(steps);
  const resumed = plan.steps.filter((step) => step.status === 'run' && selected(step) && !running.has(step.number));
  // A step reset to [wait] while its old task still lives is taken once that task has ended.
  const ready = plan.ready.filter((step) => !running.has(step.number));
  const started = ready.slice(0, Math.max(0, limit - resumed.length));
  const text = setStepStatuses(schedule.text, [
    ...(settled === undefined || settle === undefined ? [] : [{ step: settled, status: settle.status }]),
    ...plan.skips.map(({ step }) => ({ step, status: 'skip' as const })),
    ...started.map((step) => ({ step, status: 'run' as const })),
  ]);
  const after = plan.steps.map((step) => (started.includes(step) ? withStatus(step, 'run') : step));
  const remaining = after.filter((step) => step.status !== 'done' && step.status !== 'skip');
  let state: TakeOutcome['state'] = 'open';
  let stuck: Step | undefined;
  if (remaining.length === 0) state = 'complete';
  else if (!remaining.some((step) => step.status === 'run')) {
    state = 'blocked';
    stuck = remaining.find((step) => step.status === 'fail') ?? remaining[0];
  }
  const result: TakeOutcome = {
    started: started.map((step) => withStatus(step, 'run')),
    held: ready.length - started.length,
    remaining: remaining.length,
    resumed,
    skipped: plan.skips,
    state,
    ...(stuck && { stuck }),
  };
  return { text, result };
}

/** The statuses `markStep` sets. */
export type MarkStatus = Extract<StepStatus, 'done' | 'fail' | 'skip'>;

/** A step changed by `markStep` or `retryStep`: as it was and as it is now. */
export interface StepChange {
  readonly before: Step;
  readonly after: Step;
}

/** The verb phrase for error messages: `mark done`, `mark fail`, `skip`, `retry`. */
export function verbPhrase(status: StepStatus): string {
  if (status === 'skip') return 'skip';
  if (status === 'wait') return 'retry';
  return `mark ${status}`;
}

/**
 * Picks the step a mutation acts on: step `number` if given (whatever its status), else the
 * first step whose status is `from`.
 */
function pickStep(schedule: Schedule, number: number | undefined, from: StepStatus, to: StepStatus): Step {
  const index =
    number === undefined
      ? schedule.steps.findIndex((candidate) => candidate.status === from)
      : schedule.steps.findIndex((candidate) => candidate.number === number);
  return pickedOrThrow(schedule.steps[index], number, from, to);
}

/** `pickStep` on a scanned schedule, building only the step picked. */
function pickScanned(scanned: ScannedSchedule, number: number | undefined, from: StepStatus, to: StepStatus): Step {
  const index = number === undefined ? scanned.statuses.indexOf(from) : scanned.numbers.indexOf(number);
  return pickedOrThrow(index === -1 ? undefined : scanned.step(index), number, from, to);
}

function pickedOrThrow(step: Step | undefined, number: number | undefined, from: StepStatus, to: StepStatus): Step {
  if (step) return step;
  if (number === undefined) throw new NoSuchStepError(`no [${from}] step to ${verbPhrase(to)}`);
  throw new NoSuchStepError(`no step ${number} to ${verbPhrase(to)}`);
}

/**
 * Sets one step's status under the lock; shared by `markStep` and `retryStep`. `guard`, if
 * given, sees the step as it is under the lock and may throw to refuse the change.
 */
function changeStatus(
  planspace: string,
  number: number | undefined,
  from: StepStatus,
  to: StepStatus,
  guard?: (step: Step) => void,
): Promise<StepChange> {
  const path = planspacePaths(planspace).schedule;
  return updateScheduleText(path, (text) => {
    const scanned = scanSchedule(text, path);
    const before = scanned
      ? pickScanned(scanned, number, from, to)
      : pickStep(parseSchedule(text, path), number, from, to);
    guard?.(before);
    return { text: setStepStatus(text, before, to), result: { before, after: withStatus(before, to) } };
  });
}

/**
 * Marks a step `[done]`, `[fail]` or `[skip]`, as `workflow done|fail|skip [N]` do.
 *
 * @param planspace - the planspace folder.
 * @param status - the new status.
 * @param number - the step to mark, whatever its status; default the first `[run]` step.
 * @param guard - called with the step as it is under the lock, before anything is written;
 *   it throws to refuse the change (`workflow done|fail|skip` refuse a step a live engine runs).
 * @throws {NoSuchStepError} if there is no such step; nothing is written.
 * @throws {ScheduleNotFoundError} / {ScheduleSyntaxError} / {LockError}; nothing written.
 * @throws whatever `guard` throws; nothing is written.
 */
export function markStep(
  planspace: string,
  status: MarkStatus,
  number?: number,
  guard?: (step: Step) => void,
): Promise<StepChange> {
  return changeStatus(planspace, number, 'run', status, guard);
}

/**
 * Resets a step to `[wait]`, as `workflow retry [N]` does.
 *
 * @param planspace - the planspace folder.
 * @param number - the step to reset, whatever its status; default the first `[fail]` step.
 * @param guard - called with the step as it is under the lock, before anything is written;
 *   it throws to refuse the reset (`workflow retry` refuses a step a live engine runs).
 * @throws {NoSuchStepError} if there is no such step; nothing is written.
 * @throws whatever `guard` throws; nothing is written.
 */
export function retryStep(planspace: string, number?: number, guard?: (step: Step) => void): Promise<StepChange> {
  return changeStatus(planspace, number, 'fail', 'wait', guard);
}

/**
 * Counts a planspace's steps by status, as `workflow status` does. Reads without the lock:
 * writes are atomic renames, so the file read is always a whole version.
 */
export async function scheduleStatus(planspace: string): Promise<StatusCounts> {
  const path = planspacePaths(planspace).schedule;
  const text = await readScheduleText(path);
  const scanned = scanSchedule(text, path);
  return scanned ? countStatusList(scanned.statuses) : countStatuses(parseSchedule(text, path).steps);
}

/** Reads and parses a planspace's schedule (no lock; see `scheduleStatus`). */
export function readSchedule(planspace: string): Promise<Schedule> {
  return readScheduleFile(planspacePaths(planspace).schedule);
}
