/**
 * Which step runs next: a pure function of the steps' statuses, `needs` and `when`.
 *
 * A `[wait]` step is *ready* when every step it needs is settled (`done`, `skip` or `fail`)
 * and its condition holds: `success` (the default) wants no failed need, `failure` wants
 * at least one, `always` wants nothing. A need counts as failed when it is `[fail]` or when
 * it settled under `when: success` on top of a failure (see `outcomes`). A `failure` step whose needs all succeeded can never
 * run and is skipped. A `success` step behind a failed need is *blocked*, not skipped, since
 * `retry` can still clear the failure.
 */
import { effectiveNeeds } from './parse.js';
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

type Readiness = 'ready' | 'pending' | 'blocked' | { readonly skip: string };

type Outcome = 'success' | 'failure' | 'pending';

/**
 * The outcome of every step as its dependents see it: `[wait]`/`[run]` are pending, `[fail]`
 * is a failure, and `[done]`/`[skip]` are a success unless the step ran under the default
 * `when: success` on top of a failure, which it then passes on. So a `[fail]` step blocks
 * every later step of a plain sequential schedule, even past a step marked done by hand.
 */
function outcomes(steps: readonly Step[]): Map<number, Outcome> {
  const index = new Map(steps.map((step, i) => [step.number, i]));
  const memo = new Map<number, Outcome>();
  const outcome = (number: number): Outcome => {
    const known = memo.get(number);
    if (known) return known;
    const i = index.get(number) ?? -1;
    const step = steps[i];
    let result: Outcome = 'pending';
    if (step?.status === 'fail') result = 'failure';
    else if (step?.status === 'done' || step?.status === 'skip') {
      const inherits = (step.attributes.when ?? 'success') === 'success';
      result = inherits && effectiveNeeds(steps, i).some((need) => outcome(need) === 'failure') ? 'failure' : 'success';
    }
    memo.set(number, result);
    return result;
  };
  // In file order, default needs are already known when asked for, so recursion stays shallow.
  for (const step of steps) outcome(step.number);
  return memo;
}

/** How a `[wait]` step stands, given the outcomes of all steps. */
function readiness(steps: readonly Step[], index: number, outcome: Map<number, Outcome>): Readiness {
  const step = steps[index];
  const needs = effectiveNeeds(steps, index);
  const results = needs.map((number) => outcome.get(number) ?? 'pending');
  if (results.includes('pending')) return 'pending';
  const failed = results.includes('failure');
  switch (step?.attributes.when ?? 'success') {
    case 'success':
      return failed ? 'blocked' : 'ready';
    case 'failure':
      return failed ? 'ready' : { skip: `when: failure, and none of its needs (${needs.join(', ')}) failed` };
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
  const skips: PlannedSkip[] = [];
  let outcome = outcomes(current);
  for (let changed = true; changed;) {
    changed = false;
    for (const [index, step] of current.entries()) {
      if (step.status !== 'wait') continue;
      const state = readiness(current, index, outcome);
      if (typeof state !== 'object') continue;
      skips.push({ step, reason: state.skip });
      current[index] = withStatus(step, 'skip');
      changed = true;
    }
    if (changed) outcome = outcomes(current);
  }
  const ready = current.filter(
    (step, index) => step.status === 'wait' && readiness(current, index, outcome) === 'ready',
  );
  return { steps: current, skips, ready };
}

/** Decides what `workflow next` does with a schedule's steps (see `NextDecision`). */
export function planNext(steps: readonly Step[]): NextDecision {
  const running = steps.find((step) => step.status === 'run');
  if (running) return { kind: 'resume', step: running, skips: [] };
  const plan = planSteps(steps);
  const [first] = plan.ready;
  if (first) return { kind: 'start', step: first, skips: plan.skips };
  const stuck = plan.steps.find((step) => step.status === 'fail') ?? plan.steps.find((step) => step.status === 'wait');
  if (stuck) return { kind: 'blocked', step: stuck, skips: plan.skips };
  return { kind: 'complete', skips: plan.skips };
}
