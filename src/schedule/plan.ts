/**
 * Which step runs next: a pure function of the steps' statuses, `needs` and `when`.
 *
 * A `[wait]` step is *ready* when every step it needs is settled (`done`, `skip` or `fail`)
 * and its condition holds: `success` (the default) wants no failed need, `failure` wants
 * at least one, `always` wants nothing. A need counts as failed when it is `[fail]` or when
 * it settled under `when: success` on top of a failure (see `outcomes`). A `failure` step
 * whose needs all succeeded can never run and is skipped. A `success` step behind a failed need is *blocked*, not skipped, since
 * `retry` can still clear the failure.
 */
import { effectiveNeeds } from './checks.js';
import { withStatus } from './mutate.js';
import type { Step } from './step.js';

/** A step the planner turns to `[skip]`, and why (for the log). */
export interface PlannedSkip {
  readonly step: Step;
  readonly reason: string;
}

/**
 * What `workflow next` does:
 * - `resume`: a step is already `[run]` (session recovery); nothing changes.
 * - `start`: turn `step` from `[wait]` to `[run]`.
 * - `complete`: every step is `[done]` or `[skip]`.
 * - `blocked`: nothing can run until a human acts on `step` (the first `[fail]` step).
 *
 * `skips` lists steps to turn to `[skip]` first because their condition can no longer hold.
 */
export type NextDecision =
  | { readonly kind: 'resume'; readonly step: Step; readonly skips: readonly PlannedSkip[] }
  | { readonly kind: 'start'; readonly step: Step; readonly skips: readonly PlannedSkip[] }
  | { readonly kind: 'complete'; readonly skips: readonly PlannedSkip[] }
  | { readonly kind: 'blocked'; readonly step: Step; readonly skips: readonly PlannedSkip[] };

/** How a `[wait]` step stands: ready to start, waiting on a need, blocked by a failure, or to skip. */
export type Readiness = 'ready' | 'pending' | 'blocked' | { readonly skip: string };

/** A step's outcome as its dependents see it (see `outcomes`). */
export type Outcome = 'success' | 'failure' | 'pending';

/**
 * The steps' needs as positions in the step list rather than numbers. Indexed loops over
 * arrays keep the planner cheap on 10,000-step schedules, where it runs on every `next`.
 */
export function needPositions(steps: readonly Step[]): (readonly number[])[] {
  const position = new Map<number, number>();
  for (let i = 0; i < steps.length; i += 1) position.set(steps[i]?.number ?? 0, i);
  const needs: (readonly number[])[] = [];
  for (let i = 0; i < steps.length; i += 1) {
    needs.push(effectiveNeeds(steps, i).map((number) => position.get(number) ?? -1));
  }
  return needs;
}

/**
 * The outcome of every step as its dependents see it: `[wait]`/`[run]` are pending, `[fail]`
 * is a failure, and `[done]`/`[skip]` are a success, except that a step settled under the
 * default `when: success` passes on a failure or a pending step among its needs. So in a plain
 * sequential schedule a `[fail]` or `[wait]` step holds back every later step, even past a
 * step marked done by hand, exactly as DESIGN.md §3 words it.
 */
export function outcomes(steps: readonly Step[], needs: readonly (readonly number[])[]): Outcome[] {
  const result: Outcome[] = [];
  const outcome = (i: number): Outcome => {
    const known = result[i];
    if (known) return known;
    const value = stepOutcome(steps[i], needs[i] ?? [], outcome);
    result[i] = value;
    return value;
  };
  // In file order, default needs (the step before) are known when asked for: no deep recursion.
  for (let i = 0; i < steps.length; i += 1) outcome(i);
  return result;
}

/**
 * The outcome of one step (see `outcomes`), given its needs' positions and a way to get the
 * outcome at a position (asked only for a step settled under `when: success`).
 */
export function stepOutcome(
  step: Step | undefined,
  needs: readonly number[],
  outcomeAt: (position: number) => Outcome,
): Outcome {
  if (step?.status === 'fail') return 'failure';
  if (step?.status !== 'done' && step?.status !== 'skip') return 'pending';
  // Under `when: success` a settled step passes on the worst outcome of its needs.
  if ((step.attributes.when ?? 'success') !== 'success') return 'success';
  const inherited = needs.map(outcomeAt);
  return inherited.includes('failure') ? 'failure' : inherited.includes('pending') ? 'pending' : 'success';
}

/** How the `[wait]` step at position `i` stands, given the outcomes of all steps. */
export function readiness(
  steps: readonly Step[],
  i: number,
  needs: readonly (readonly number[])[],
  outcome: readonly Outcome[],
): Readiness {
  let pending = false;
  let failed = false;
  for (const need of needs[i] ?? []) {
    if (outcome[need] === 'failure') failed = true;
    else if (outcome[need] !== 'success') pending = true;
  }
  if (pending) return 'pending';
  switch (steps[i]?.attributes.when ?? 'success') {
    case 'success':
      return failed ? 'blocked' : 'ready';
    case 'failure': {
      if (failed) return 'ready';
      const numbers = (needs[i] ?? []).map((need) => steps[need]?.number);
      return { skip: `when: failure, and none of its needs (${numbers.join(', ')}) failed` };
    }
    case 'always':
      return 'ready';
  }
}

/**
 * Classifies every `[wait]` step, applying planned skips until none is left to apply.
 *
 * @returns the steps as they stand after the skips, the skips, and the ready steps in
 *   file order.
 */
export function planSteps(steps: readonly Step[]): {
  steps: readonly Step[];
  skips: readonly PlannedSkip[];
  ready: readonly Step[];
} {
  const current = [...steps];
  const needs = needPositions(steps);
  const skips: PlannedSkip[] = [];
  let outcome = outcomes(current, needs);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < current.length; i += 1) {
      const step = current[i];
      if (step?.status !== 'wait') continue;
      const state = readiness(current, i, needs, outcome);
      if (typeof state !== 'object') continue;
      skips.push({ step, reason: state.skip });
      current[i] = withStatus(step, 'skip');
      changed = true;
    }
    if (changed) outcome = outcomes(current, needs);
  }
  const ready: Step[] = [];
  for (let i = 0; i < current.length; i += 1) {
    const step = current[i];
    if (step?.status === 'wait' && readiness(current, i, needs, outcome) === 'ready') ready.push(step);
  }
  return { steps: current, skips, ready };
}

/**
 * The plain sequential contract of DESIGN.md §3, for schedules without `needs` or `when`:
 * the first step that is neither `[done]` nor `[skip]` decides. It is what the general
 * planner computes for such schedules (a property test holds the two equal), in one pass
 * instead of building the dependency graph, which matters on 10,000-step schedules.
 */
function planSequential(steps: readonly Step[]): NextDecision {
  const first = steps.find((step) => step.status !== 'done' && step.status !== 'skip');
  if (!first) return { kind: 'complete', skips: [] };
  if (first.status === 'wait') return { kind: 'start', step: first, skips: [] };
  if (first.status === 'run') return { kind: 'resume', step: first, skips: [] };
  return { kind: 'blocked', step: first, skips: [] };
}

/**
 * Decides what `workflow next` does with a schedule's steps (see `NextDecision`).
 *
 * @param options.general - always use the dependency planner, even for a schedule without
 *   `needs` or `when` (for tests that compare it with the sequential shortcut).
 */
export function planNext(steps: readonly Step[], options: { general?: boolean } = {}): NextDecision {
  const running = steps.find((step) => step.status === 'run');
  if (running) return { kind: 'resume', step: running, skips: [] };
  const sequential = steps.every((step) => step.attributes.needs === undefined && step.attributes.when === undefined);
  if (sequential && options.general !== true) return planSequential(steps);
  const plan = planSteps(steps);
  const [first] = plan.ready;
  if (first) return { kind: 'start', step: first, skips: plan.skips };
  const stuck = plan.steps.find((step) => step.status === 'fail') ?? plan.steps.find((step) => step.status === 'wait');
  if (stuck) return { kind: 'blocked', step: stuck, skips: plan.skips };
  return { kind: 'complete', skips: plan.skips };
}
