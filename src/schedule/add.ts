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
import { scanSchedule } from './scan.js';
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
 * Adds one `[wait]` step to a schedule's `text` with the next free number (the highest plus
 * one): its line after step `after`'s line and attribute items, or at the end; its attributes
 * as items under it; line endings as the schedule's (CRLF when it uses CRLF). Every other byte
 * is kept. Pure.
 *
 * The result is checked by `parseSchedule`, as a hand-written schedule is. At the end of a
 * schedule that `scanSchedule` proves plain (no attributes, fences or CRs: nothing can need the
 * new step, nor hide it), only the new lines are parsed, after a stub of each step they name
 * in `needs`: the same problems, found without parsing 10,000 steps twice.
 *
 * @param text - the schedule text (as read under the lock).
 * @param file - its path, for positions in problems.
 * @throws {UsageError} for a line that holds a line break or starts with a status marker, or
 *   an `after` that names no step.
 * @throws {ScheduleSyntaxError} when the schedule or the new text does not parse (a bad line
 *   or attribute, `needs` naming a missing step or making a cycle), naming what was wrong (the
 *   new step's problems are labelled `new step N in <file>`); or when the new line would not be
 *   a step (inside a fenced code block).
 * @throws {AddLimitError} when the schedule already holds `maxSteps` steps.
 */
export function addStepToText(text: string, file: string, request: AddRequest): AddedStep {
  const line = request.line.trim();
  if (/[\r\n\u2028\u2029]/.test(line)) throw new UsageError('the step must be one line: it holds a line break');
  if (/^\[[A-Za-z]*\]/.test(line)) {
    throw new UsageError(
      `give the step without its status and number ('<name> | <models> -- <description> (ref)'), found '${line.slice(0, 40)}'`,
    );
  }
  const scanned = request.after === undefined ? scanSchedule(text, file) : undefined;
  const schedule = scanned ? undefined : parseSchedule(text, file);
  const numbers = scanned ? scanned.numbers : (schedule?.steps ?? []).map((step) => step.number);
  if (request.maxSteps !== undefined && numbers.length >= request.maxSteps) {
    throw new AddLimitError(
      'max-steps',
      `refused to add a step: the schedule already holds ${numbers.length} steps (--max-steps ${request.maxSteps})`,
    );
  }
  let highest = 0;
  for (const number of numbers) if (number > highest) highest = number;
  const number = highest + 1;
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const items = attributeItems(request);
  const block = [`[wait] ${number}. ${line}`, ...items.map(([key, value]) => `  - ${key}: ${value}`)].join(newline);
  const invalid = (error: unknown): unknown => {
    if (!(error instanceof ScheduleSyntaxError)) return error;
    // Positions are those of the text with the step, which was not written: the label says so.
    const label = `new step ${number} in ${file}`;
    return new ScheduleSyntaxError(error.problems.map((problem) => ({ ...problem, file: label })));
  };
  if (!schedule) return appendChecked(text, block + newline, number, numbers, items, newline, invalid);
  const at = request.after === undefined ? endOfText(text, newline) : afterStep(schedule, request.after);
  const before = text.slice(0, at.offset);
  const added = `${before}${at.prefix}${block}${newline}${text.slice(at.offset)}`;
  let parsed: Schedule;
  try {
    parsed = parseSchedule(added, file);
  } catch (error) {
    throw invalid(error);
  }
  const step = parsed.steps.find((each) => each.number === number);
  if (!step) {
    throw new ScheduleSyntaxError([
      {
        file,
        line: added.slice(0, before.length + at.prefix.length).split('\n').length,
        column: 1,
        expected: 'a place where a step line counts (the new step would be inside a fenced code block)',
        found: 'a fence left open before it',
      },
    ]);
  }
  return { text: added, step };
}

/** The new step's attribute items, in order: `added-by` and a default `needs`, then those given. */
function attributeItems(request: AddRequest): [string, string][] {
  const items: [string, string][] = [];
  const given = request.attributes ?? [];
  if (request.addedBy !== undefined) {
    items.push(['added-by', String(request.addedBy)]);
    if (!given.some(([key]) => key === 'needs')) items.push(['needs', String(request.addedBy)]);
  }
  for (const [key, value] of given) {
    if (/[\r\n\u2028\u2029]/.test(`${key}${value}`)) {
      throw new UsageError(`attribute '${key}' must be one line: it holds a line break`);
    }
    items.push([key, value]);
  }
  return items;
}

/**
 * Appends `block` (the new step `number` and its items) to a plain schedule (`scanSchedule`)
 * and checks it with `parseSchedule` on the block alone, after a `[done]` stub of each step
 * its `needs` name that the schedule has (those it lacks stay missing, and are reported).
 */
function appendChecked(
  text: string,
  block: string,
  number: number,
  numbers: readonly number[],
  items: readonly (readonly [string, string])[],
  newline: string,
  invalid: (error: unknown) => unknown,
): AddedStep {
  const { offset, prefix } = endOfText(text, newline);
  let lines = 1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines += 1;
  // The new step's line: after the last line, or on the line after a last line without a break.
  const stepLine = text === '' ? 1 : prefix === '' ? lines : lines + 1;
  const named = new Set<number>();
  for (const [key, value] of items) {
    if (key === 'needs') for (const digits of value.match(/\d+/g) ?? []) named.add(Number(digits));
  }
  const known = new Set(numbers);
  const stubs = [...named]
    .filter((need) => need !== number && known.has(need))
    .map((need) => `[done] ${need}. s | m -- s`);
  let parsed: Schedule;
  try {
    parsed = parseSchedule([...stubs, block].join('\n'), 'block');
  } catch (error) {
    if (!(error instanceof ScheduleSyntaxError)) throw error;
    const shift = stepLine - stubs.length - 1;
    throw invalid(
      new ScheduleSyntaxError(error.problems.map((problem) => ({ ...problem, line: problem.line + shift }))),
    );
  }
  const step = parsed.steps.find((each) => each.number === number);
  if (!step) throw new Error(`step ${number} did not parse from its own block`);
  return { text: `${text}${prefix}${block}`, step: { ...step, line: stepLine, offset: offset + prefix.length } };
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
