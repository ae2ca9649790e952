/** `workflow run --only`, `--from` and `--goal`: which steps of the schedule a run may take. */
import { UsageError } from '../errors.js';
import { effectiveNeeds } from '../schedule/checks.js';
import type { Step } from '../schedule/step.js';

/** The step numbers `--only` gives, and the step `--from` starts at. */
export interface StepSelection {
  readonly only?: readonly number[];
  readonly from?: number;
}

/**
 * The steps `only` and `from` select, or undefined for every step.
 *
 * @throws {UsageError} for a step number the schedule lacks.
 */
export function selectSteps(
  steps: readonly Step[],
  options: StepSelection,
  file: string,
): ReadonlySet<number> | undefined {
  const { only, from } = options;
  const missing = [...(only ?? []), ...(from === undefined ? [] : [from])].filter(
    (n) => !steps.some((step) => step.number === n),
  );
  if (missing.length > 0) throw new UsageError(`no step ${missing.join(', ')} in ${file}`);
  if (only === undefined && from === undefined) return undefined;
  const start = from === undefined ? 0 : steps.findIndex((step) => step.number === from);
  return new Set(
    steps.slice(start).flatMap((step) => (only === undefined || only.includes(step.number) ? [step.number] : [])),
  );
}

/** What a run restricted by `--only` or `--from` did, once its selected steps are settled. */
export interface SelectionEnd {
  /** Selected steps that are `[done]`, in file order. */
  readonly done: readonly number[];
  /** Selected steps that are `[skip]`, in file order. */
  readonly skipped: readonly number[];
  /** Steps of the whole schedule that are neither `[done]` nor `[skip]`. */
  readonly remaining: readonly Step[];
  /** One line for humans, e.g. `step 1 done; 6 steps still wait`. */
  readonly summary: string;
}

/**
 * Describes the end of a selected run from the schedule as it stands: every selected step is
 * `[done]` or `[skip]`. Returns undefined when nothing is left anywhere in the schedule (the
 * run is then simply complete).
 */
export function describeSelectionEnd(steps: readonly Step[], selected: ReadonlySet<number>): SelectionEnd | undefined {
  const remaining = steps.filter((step) => step.status !== 'done' && step.status !== 'skip');
  if (remaining.length === 0) return undefined;
  const numbers = (status: Step['status']): number[] =>
    steps.filter((step) => selected.has(step.number) && step.status === status).map((step) => step.number);
  const done = numbers('done');
  const skipped = numbers('skip');
  const list = (ns: readonly number[], what: string): string[] =>
    ns.length === 0 ? [] : [`step${ns.length === 1 ? '' : 's'} ${ns.join(', ')} ${what}`];
  const waiting = remaining.every((step) => step.status === 'wait');
  const count = `${remaining.length} step${remaining.length === 1 ? '' : 's'}`;
  const left = waiting
    ? `${count} still wait${remaining.length === 1 ? 's' : ''}`
    : `${count} not done (${countLabels(remaining)})`;
  return { done, skipped, remaining, summary: [...list(done, 'done'), ...list(skipped, 'skipped'), left].join('; ') };
}

/** `2 [wait], 1 [fail]`: how many steps have each status, in the order statuses first appear. */
function countLabels(steps: readonly Step[]): string {
  const counts = new Map<string, number>();
  for (const step of steps) counts.set(step.status, (counts.get(step.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} [${status}]`).join(', ');
}

/**
 * `steps` numbered `chosen` and every step they need, through explicit and default needs
 * (`effectiveNeeds`), transitively: what `workflow run --goal` runs as `--only`. A `[done]` or
 * `[skip]` step is included but not looked through: its own needs were met when it settled, and
 * running them again is not what the goal asked for. Numbers the schedule lacks are left out
 * (the caller reports them). The result is in file order. Pure.
 */
export function withNeeds(steps: readonly Step[], chosen: readonly number[]): number[] {
  const index = new Map(steps.map((step, i) => [step.number, i]));
  const included = new Set<number>();
  const pending = chosen.filter((n) => index.has(n));
  for (let n = pending.pop(); n !== undefined; n = pending.pop()) {
    if (included.has(n)) continue;
    included.add(n);
    const i = index.get(n) ?? -1;
    const step = steps[i];
    if (!step || step.status === 'done' || step.status === 'skip') continue;
    for (const need of effectiveNeeds(steps, i)) if (index.has(need) && !included.has(need)) pending.push(need);
  }
  return steps.filter((step) => included.has(step.number)).map((step) => step.number);
}
