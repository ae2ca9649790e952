/**
 * The schedule-wide checks of `parseSchedule`, made once every step is known: step numbers
 * used twice, `needs` that name missing steps or form a cycle, and attributes that do not go
 * together on one step (`blocks:` with `candidates:`, `judge:` without `candidates:`). Pure
 * functions of the parsed steps.
 */
import { NoStepsError, type Problem } from '../errors.js';
import type { Schedule, Step } from './step.js';

/**
 * Refuses a schedule without steps, for the verbs that would otherwise report it as finished
 * (`run`: COMPLETE) or fine (`check`: OK, 0 steps).
 *
 * @throws {NoStepsError} naming `schedule.file` and the shape of a step line.
 */
export function assertHasSteps(schedule: Schedule): void {
  if (schedule.steps.length === 0) throw new NoStepsError(schedule.file);
}

/** A `needs:` value with its position, checked once every step is known. */
export interface NeedsAt {
  readonly step: Step;
  readonly line: number;
  readonly column: number;
}

/** A `candidates:` or `judge:` item with its position, checked once its step's attributes are all read. */
export interface CandidatesAt {
  readonly step: Step;
  readonly key: 'candidates' | 'judge';
  readonly line: number;
  /** 1-based column of the item's value. */
  readonly column: number;
}

/**
 * Attributes of best of N that do not fit their step: `blocks:` with `candidates:` (a step
 * runs either blocks or candidates; the problem sits on the step line, since either item may
 * be the one to drop), and `judge:` on a step without `candidates:` (on the `judge:` item:
 * with no candidates there is nothing to judge).
 *
 * @param candidatesAt - every `candidates:` and `judge:` item, in file order; `step` carries
 *   all of its step's attributes.
 */
export function candidatesConflicts(candidatesAt: readonly CandidatesAt[], file: string): Problem[] {
  const problems: Problem[] = [];
  for (const { step, key, line, column } of candidatesAt) {
    const { blocks, candidates, judge } = step.attributes;
    if (key === 'candidates' && blocks !== undefined) {
      problems.push({
        file,
        line: step.line,
        column: 1,
        expected: "either 'blocks:' or 'candidates:' on a step, not both",
        found: `step ${step.number} with blocks: ${blocks.join(', ')} and candidates: ${String(candidates)}`,
      });
    }
    if (key === 'judge' && candidates === undefined) {
      problems.push({
        file,
        line,
        column,
        expected: "'judge:' only on a step with 'candidates:'",
        found: `judge: ${judge ?? ''} on step ${step.number}, which has no candidates`,
      });
    }
  }
  return problems;
}

/** Step numbers used a second time, each named with the line that used it first. */
export function duplicateNumbers(steps: readonly Step[], file: string): Problem[] {
  const firstLine = new Map<number, number>();
  const problems: Problem[] = [];
  for (const step of steps) {
    const first = firstLine.get(step.number);
    if (first === undefined) firstLine.set(step.number, step.line);
    else {
      problems.push({
        file,
        line: step.line,
        column: step.text.indexOf(' ') + 2,
        expected: 'a step number not used before',
        found: `${step.number}, already used on line ${first}`,
      });
    }
  }
  return problems;
}

/** `needs` must name existing steps other than the step itself, without cycles. */
export function badNeeds(steps: readonly Step[], needsAt: readonly NeedsAt[], file: string): Problem[] {
  // Most schedules have no `needs:`: no index of 10,000 steps for them.
  if (needsAt.length === 0) return [];
  const byNumber = new Map(steps.map((step) => [step.number, step]));
  const problems: Problem[] = [];
  for (const { step, line, column } of needsAt) {
    // `needs: 9, 9` names step 9 once as far as the reader is concerned: one problem.
    for (const need of new Set(step.attributes.needs)) {
      const found =
        need === step.number
          ? `step ${need} itself`
          : !byNumber.has(need)
            ? `step ${need}, which does not exist`
            : undefined;
      if (found) problems.push({ file, line, column, expected: 'numbers of other steps', found });
    }
  }
  // Default needs point backwards, so only an explicit `needs:` can close a cycle.
  if (problems.length > 0 || needsAt.length === 0) return problems;
  const cycle = findNeedsCycle(steps);
  const at = cycle && needsAt.find((entry) => entry.step.number === cycle[0]);
  if (cycle && at) {
    problems.push({
      file,
      line: at.line,
      column: at.column,
      expected: 'needs without a cycle',
      found: `the cycle ${cycle.join(' -> ')}`,
    });
  }
  return problems;
}

/**
 * The effective needs of every step: its `needs:` attribute, or else the step before it.
 * Exported for the planner, which must agree with validation.
 */
export function effectiveNeeds(steps: readonly Step[], index: number): readonly number[] {
  const step = steps[index];
  if (!step) return [];
  const previous = steps[index - 1];
  return step.attributes.needs ?? (previous ? [previous.number] : []);
}

/**
 * A cycle through explicit and default needs, as step numbers ending where it began.
 * Iterative depth-first search, so that long chains cannot overflow the call stack.
 */
function findNeedsCycle(steps: readonly Step[]): number[] | undefined {
  const needs = new Map(steps.map((step, index) => [step.number, effectiveNeeds(steps, index)]));
  const finished = new Set<number>();
  for (const root of steps) {
    if (finished.has(root.number)) continue;
    const path: number[] = [root.number];
    const onPath = new Set(path);
    const next: number[] = [0];
    while (path.length > 0) {
      const top = path.length - 1;
      const number = path[top] ?? 0;
      const need = needs.get(number)?.[next[top] ?? 0];
      if (need === undefined) {
        finished.add(number);
        onPath.delete(number);
        path.pop();
        next.pop();
        continue;
      }
      next[top] = (next[top] ?? 0) + 1;
      if (finished.has(need)) continue;
      if (onPath.has(need)) return [...path.slice(path.indexOf(need)), need];
      path.push(need);
      onPath.add(need);
      next.push(0);
    }
  }
  return undefined;
}
