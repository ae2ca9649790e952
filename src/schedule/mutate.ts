/**
 * Mutations of schedule text: pure functions that change exactly the status marker of
 * exactly one step line and keep every other byte.
 */
import type { Step, StepStatus } from './step.js';

/**
 * Returns `text` with `step`'s marker replaced by `[status]`.
 *
 * @param text - the schedule text `step` was parsed from.
 * @param step - a step of that text (its `offset` and `status` locate the marker).
 * @param status - the new status.
 * @throws {Error} if `text` does not hold `step`'s marker at `step.offset` (the step was
 *   parsed from other text): a bug in the caller, never a user error.
 */
export function setStepStatus(text: string, step: Step, status: StepStatus): string {
  const marker = `[${step.status}]`;
  if (!text.startsWith(marker, step.offset)) {
    throw new Error(`step ${step.number} was not parsed from this text (no ${marker} at offset ${step.offset})`);
  }
  return `${text.slice(0, step.offset)}[${status}]${text.slice(step.offset + marker.length)}`;
}

/**
 * Applies several status changes to the same text. Markers differ in length (`[run]` is one
 * character shorter than the others), so changes are applied from the end of the text
 * backwards, where no change moves another's offset.
 */
export function setStepStatuses(text: string, changes: readonly { step: Step; status: StepStatus }[]): string {
  const ordered = [...changes].sort((a, b) => b.step.offset - a.step.offset);
  return ordered.reduce((current, { step, status }) => setStepStatus(current, step, status), text);
}

/** Returns `step` as it reads after `setStepStatus`: new status, marker and text. */
export function withStatus(step: Step, status: StepStatus): Step {
  return { ...step, status, text: `[${status}]${step.text.slice(step.status.length + 2)}` };
}
