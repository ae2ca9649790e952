/**
 * Which steps `workflow rollback --to N` turns back to `[wait]`: those settled after step N's
 * checkpoint. Pure: the caller reads the schedule, `events.jsonl`, `checkpoints.json` and asks
 * git which checkpoints step N's commit contains.
 */
import type { StepStatus } from '../schedule/step.js';

/** One settling of the log, in `events.jsonl` order: a `checkpoint`, or a `done`/`failed`/`skipped` event. */
export interface SettleMark {
  readonly kind: 'checkpoint' | 'settled';
  readonly step: number;
}

/** What `stepsSettledAfter` decides from. */
export interface SettledAfterInput {
  /** Step N, the checkpoint rolled back to. */
  readonly target: number;
  /** Every step of the schedule with its current status. */
  readonly steps: readonly { readonly number: number; readonly status: StepStatus }[];
  /** The settle events of `events.jsonl`, in file order. */
  readonly marks: readonly SettleMark[];
  /** The steps of `checkpoints.json`, in the order they were recorded. */
  readonly checkpointOrder: readonly number[];
  /** Steps whose checkpoint commit step N's commit does not contain (their work is not in it). */
  readonly notContained: ReadonlySet<number>;
}

/**
 * The steps settled after step N's checkpoint, in schedule order: each step, other than N,
 * whose status is `[done]`, `[fail]` or `[skip]` and
 * - whose last `done`, `failed` or `skipped` event in `events.jsonl` comes after step N's last
 *   `checkpoint` event (log order, not clock times: several can share a millisecond), or
 * - whose checkpoint was recorded after step N's (`checkpoints.json` order), or
 * - whose checkpoint commit is not contained in step N's commit (a step settled at the same
 *   moment as N, whose merge came after N's checkpoint was taken: its work is rolled back too).
 *
 * Steps marked by hand (`workflow done N`, which the log does not record) and `[run]` or
 * `[wait]` steps are left as they are.
 */
export function stepsSettledAfter(input: SettledAfterInput): number[] {
  const { target, marks, checkpointOrder, notContained } = input;
  const after = new Set<number>();
  const anchor = marks.findLastIndex((mark) => mark.kind === 'checkpoint' && mark.step === target);
  if (anchor !== -1) {
    for (const mark of marks.slice(anchor + 1)) if (mark.kind === 'settled') after.add(mark.step);
  }
  const position = checkpointOrder.lastIndexOf(target);
  for (const step of checkpointOrder.slice(position + 1)) after.add(step);
  for (const step of notContained) after.add(step);
  return input.steps
    .filter(
      (step) =>
        step.number !== target &&
        after.has(step.number) &&
        (step.status === 'done' || step.status === 'fail' || step.status === 'skip'),
    )
    .map((step) => step.number);
}
