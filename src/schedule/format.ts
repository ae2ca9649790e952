/**
 * Formatting steps back to text: the inverse of `parseStepLine`, byte for byte.
 */
import type { Schedule, Step } from './step.js';

/**
 * Formats a step as its schedule line (without line ending):
 * `[status] N. name | model,model -- description (ref)` plus any trailing spaces it had.
 * For every line `parseStepLine` accepts, `formatStep(parse(line)) === line`.
 */
export function formatStep(step: Omit<Step, 'line' | 'offset' | 'text' | 'attributes'>): string {
  const head = `[${step.status}] ${step.number}. ${step.name} | ${step.models.join(',')} -- `;
  const ref = step.ref === undefined ? '' : `(${step.ref})`;
  const gap = step.description !== '' && ref !== '' ? ' ' : '';
  return `${head}${step.description}${gap}${ref}${step.trailing}`;
}

/**
 * Rebuilds a schedule's text with every step line produced by `formatStep` and every other
 * byte (prose, headings, attributes, blank lines, line endings) copied unchanged. For a
 * schedule as parsed, the result equals `schedule.text`.
 */
export function formatSchedule(schedule: Schedule): string {
  let text = '';
  let copied = 0;
  for (const step of schedule.steps) {
    text += schedule.text.slice(copied, step.offset) + formatStep(step);
    copied = step.offset + step.text.length;
  }
  return text + schedule.text.slice(copied);
}
