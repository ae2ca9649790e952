/**
 * Which step runs next: a pure function of the steps' statuses, `needs` and `when`.
 *
 * A `[wait]` step is *ready* when every step it needs is settled (`done`, `skip` or `fail`)
 * and its condition holds: `success` (the default) wants no failed need, `failure` wants
 * at least one, `always` wants nothing. A `failure` step whose needs all succeeded can never
 * run and is skipped. A `success` step behind a failed need is *blocked*, not skipped, since
 * `retry` can still clear the failure.
 */
import { effectiveNeeds } from './parse.js';
import { withStatus } from './mutate.js';
import type { Step, StepStatus } from './step.js';

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

const SETTLED: ReadonlySet<StepStatus> = new Set(['done', 'skip', 'fail']);

/** How a `[wait]` step stands, given the current statuses of all steps. */
function readiness(steps: readonly Step[], index: number, status: Map<number, StepStatus>): Readiness {
  const step = steps[index];
  const needs = effectiveNeeds(steps, index);
  const statuses = needs.map((number) => status.get(number));
  if (!statuses.every((s) => s !== undefined && SETTLED.has(s))) return 'pending';
  const failed = statuses.includes('fail');
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
  const status = new Map(steps.map((step) => [step.number, step.status]));
  const skips: PlannedSkip[] = [];
  for (let changed = true; changed;) {
    changed = false;
    current.forEach((step, index) => {
      if (step.status !== 'wait') return;
      const state = readiness(current, index, status);
      if (typeof state === 'object') {
        skips.push({ step, reason: state.skip });
        current[index] = withStatus(step, 'skip');
        status.set(step.number, 'skip');
        changed = true;
      }
    });
  }
  const ready = current.filter(
    (step, index) => step.status === 'wait' && readiness(current, index, status) === 'ready',
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
