/**
 * Adding a step to a schedule's text (`workflow add`): pure functions from the text and the
 * request to the new text, validated by the real parser, so that an added step is held to
 * exactly the rules of a hand-written one.
 *
 * ```text
 * [wait] 8. fix | claude-opus -- fix the regression the review found (implement.md Stage 5)
 *   - added-by: 6
 *   - needs: 6
 * ```
 */
import { AddLimitError, ScheduleSyntaxError, UsageError } from '../errors.js';
import { ATTRIBUTE_LINE } from './attributes.js';
import { parseSchedule } from './parse.js';
import type { Schedule, Step } from './step.js';

/** The default of `--max-steps`: the most steps a schedule may hold before `add` is refused. */
export const DEFAULT_MAX_STEPS = 500;

/** The default of `--max-added`: the most steps one step's agent may add in one run. */
export const DEFAULT_MAX_ADDED = 20;

/** What to add, as `workflow add` takes it. */
export interface AddRequest {
  /** `<name> | <models> -- <description> (ref)`: a step line without its marker and number. */
  readonly line: string;
  /** Place the step after this step's line and its attribute items; default: at the end. */
  readonly after?: number;
  /**
   * Attributes as `[key, value]`, written as items `  - key: value` in this order. `added-by`
   * and a default `needs` of the adding step come first when `addedBy` is given.
   */
  readonly attributes?: readonly (readonly [string, string])[];
  /** The adding step (`WORKFLOW_STEP`): written as `added-by:`, and `needs:` unless one is given. */
  readonly addedBy?: number;
  /** Refuse when the schedule already holds this many steps (the loop guard). Default: no limit. */
  readonly maxSteps?: number;
}

/** What `addStepToText` made: the new text, and the new step as parsed from it. */
export interface AddedStep {
  readonly text: string;
  readonly step: Step;
}

/**
 * Adds one `[wait]` step to `schedule` with the next free number (the highest plus one): its
 * line after step `after`'s line and attribute items, or at the end; its attributes as items
 * under it; line endings as the schedule's (CRLF when it uses CRLF). Every other byte is kept.
 * Pure.
 *
 * @throws {UsageError} for a line that holds a line break or starts with a status marker, or
 *   an `after` that names no step.
 * @throws {ScheduleSyntaxError} when the new text does not parse (a bad line or attribute,
 *   `needs` naming a missing step or making a cycle), naming what was wrong; or when the new
 *   line would not be a step (inside a fenced code block).
 * @throws {AddLimitError} when the schedule already holds `maxSteps` steps.
 */
export function addStepToText(schedule: Schedule, request: AddRequest): AddedStep {
  const line = request.line.trim();
  if (/[\r\n\u2028\u2029]/.test(line)) throw new UsageError('the step must be one line: it holds a line break');
  if (/^\[[A-Za-z]*\]/.test(line)) {
    throw new UsageError(
      `give the step without its status and number ('<name> | <models> -- <description> (ref)'), found '${line.slice(0, 40)}'`,
    );
  }
  const { steps, text } = schedule;
  if (request.maxSteps !== undefined && steps.length >= request.maxSteps) {
    throw new AddLimitError(
      'max-steps',
      `refused to add a step: the schedule already holds ${steps.length} steps (--max-steps ${request.maxSteps})`,
    );
  }
  const number = steps.reduce((highest, step) => Math.max(highest, step.number), 0) + 1;
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const items: string[] = [];
  const given = request.attributes ?? [];
  if (request.addedBy !== undefined) {
    items.push(`added-by: ${request.addedBy}`);
    if (!given.some(([key]) => key === 'needs')) items.push(`needs: ${request.addedBy}`);
  }
  for (const [key, value] of given) {
    if (/[\r\n\u2028\u2029]/.test(`${key}${value}`)) {
      throw new UsageError(`attribute '${key}' must be one line: it holds a line break`);
    }
    items.push(`${key}: ${value}`);
  }
  const block = [`[wait] ${number}. ${line}`, ...items.map((item) => `  - ${item}`)].join(newline) + newline;
  const at = request.after === undefined ? endOfText(text, newline) : afterStep(schedule, request.after);
  const before = text.slice(0, at.offset);
  const added = `${before}${at.prefix}${block}${text.slice(at.offset)}`;
  let parsed: Schedule;
  try {
    parsed = parseSchedule(added, schedule.file);
  } catch (error) {
    if (!(error instanceof ScheduleSyntaxError)) throw error;
    // Positions are those of the text with the step, which was not written: the label says so.
    const file = `new step ${number} in ${schedule.file}`;
    throw new ScheduleSyntaxError(error.problems.map((problem) => ({ ...problem, file })));
  }
  const step = parsed.steps.find((each) => each.number === number);
  if (!step) {
    const line = added.slice(0, before.length + at.prefix.length).split('\n').length;
    throw new ScheduleSyntaxError([
      {
        file: schedule.file,
        line,
        column: 1,
        expected: 'a place where a step line counts (the new step would be inside a fenced code block)',
        found: 'a fence left open before it',
      },
    ]);
  }
  return { text: added, step };
}

/** Where a step goes at the end of `text`: after a line break, added if the last line has none. */
function endOfText(text: string, newline: string): { offset: number; prefix: string } {
  const prefix = text === '' || text.endsWith('\n') ? '' : newline;
  return { offset: text.length, prefix };
}

/**
 * Where a step goes after step `number`: past its line and the attribute items right under it.
 *
 * @throws {UsageError} when there is no step `number`.
 */
function afterStep(schedule: Schedule, number: number): { offset: number; prefix: string } {
  const { text } = schedule;
  const step = schedule.steps.find((each) => each.number === number);
  if (!step) throw new UsageError(`--after ${number}: there is no step ${number}`);
  let offset = lineEnd(text, step.offset);
  while (offset < text.length) {
    const end = lineEnd(text, offset);
    const line = text.slice(offset, end).replace(/\r?\n$/, '');
    if (!ATTRIBUTE_LINE.test(line)) break;
    offset = end;
  }
  // The last line of the file ends without a line break: the step starts on a line of its own.
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  return { offset, prefix: offset === text.length && !text.endsWith('\n') ? newline : '' };
}

/** The offset just past the line break of the line starting at `offset` (the text's end if none). */
function lineEnd(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}
