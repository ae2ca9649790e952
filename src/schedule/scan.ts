/**
 * A cheap first look at a schedule for the verbs shells call most (`status`, `next`, `done`),
 * which otherwise spent most of their time on 10,000-step schedules building a step object
 * for every line and collecting the garbage.
 *
 * The scan accepts only schedules it can prove `parseSchedule` accepts: LF line endings, no
 * fenced code, no attributes, every step line in the common shape (`COMMON_STEP`), no
 * duplicate step numbers. For those it records each step's status, number and place, and
 * builds a step object only when asked, with the same function `parseSchedule` uses. Anything
 * else (a bad line, attributes, a CR, a fence) makes it give up, and the caller parses the
 * whole text with `parseSchedule`, which reports problems exactly as before.
 */
import {
  COMMON_STEP,
  COMMON_STEP_MAX,
  isIndentedStep,
  isListItemStep,
  isStepCandidate,
  parsePlainStep,
} from './parse.js';
import type { Step, StepStatus } from './step.js';

/**
 * `COMMON_STEP` run on the whole text from a line's start (sticky, multiline), so that no
 * line is cut out as a string. Its negated classes also refuse `\n`, so that a match never
 * runs into the next line; on one line without `\n` it matches exactly what `COMMON_STEP`
 * matches. `$` also matches before U+2028 and U+2029, so a match counts only if it ends where
 * the line ends.
 */
const STEP_AT = new RegExp(COMMON_STEP.source.replaceAll('[^|]', '[^|\\n]').replaceAll('[^()]', '[^()\\n]'), 'my');

/**
 * The plainest step lines, `... -- description (ref)` or `... -- description`, in a pattern
 * without lazy quantifiers or lookbehinds: about three times cheaper than `STEP_AT`, and
 * tried first. Every line it matches, `COMMON_STEP` matches too (the description starts and,
 * before a ref, ends with a character that is neither blank nor a parenthesis, so no ` -- `
 * can stand right before the ref); lines it misses go to `STEP_AT`.
 */
const PLAIN_STEP_AT = new RegExp(
  String.raw`^\[(?:wait|run|done|fail|skip)\] [1-9]\d{0,14}\. [^\s|](?:[^|\n]*[^\s|])? \| ` +
    String.raw`[A-Za-z0-9][\w.-]{0,63}(?:,[A-Za-z0-9][\w.-]{0,63})* -- ` +
    String.raw`(?:[^\s()](?:[^()\n]*[^\s()])? \([^()\n]*[^()\s][^()\n]*\)[ \t]*|[^\s()][^()\n]*|[ \t]*)$`,
  'my',
);

/** True when the line from `offset` to `end` is a step line of the common shape (`COMMON_STEP`). */
function isCommonStepAt(text: string, offset: number, end: number): boolean {
  if (end - offset > COMMON_STEP_MAX) return false;
  PLAIN_STEP_AT.lastIndex = offset;
  if (PLAIN_STEP_AT.test(text) && PLAIN_STEP_AT.lastIndex === end) return true;
  STEP_AT.lastIndex = offset;
  return STEP_AT.test(text) && STEP_AT.lastIndex === end;
}

/** The status of a step line by the first letter of its marker (`[w` ... `[s`). */
const STATUS_BY_LETTER: Readonly<Record<string, StepStatus>> = {
  w: 'wait',
  r: 'run',
  d: 'done',
  f: 'fail',
  s: 'skip',
};

const SPACE = 0x20;
const TAB = 0x09;
const OPEN_BRACKET = 0x5b;
const DASH = 0x2d;
const STAR = 0x2a;
const PLUS = 0x2b;

/** A schedule as `scanSchedule` saw it: every step's status and number, steps on demand. */
export interface ScannedSchedule {
  /** Path or label used in error positions. */
  readonly file: string;
  /** The whole schedule text. */
  readonly text: string;
  /** The status of each step, in file order. */
  readonly statuses: readonly StepStatus[];
  /** The number of each step, in file order. */
  readonly numbers: readonly number[];
  /** The step at position `index` (file order), exactly as `parseSchedule` makes it. */
  readonly step: (index: number) => Step;
}

/**
 * Scans a schedule's text without building its steps (see the module comment).
 *
 * @param text - the schedule text (UTF-8 decoded).
 * @param file - path or label used in error positions, as for `parseSchedule`.
 * @returns the scanned schedule, whose steps equal `parseSchedule(text, file).steps`; or
 *   undefined when the text is not of the plain kind the scan proves correct, in which case
 *   the caller must use `parseSchedule` (which may then throw).
 */
export function scanSchedule(text: string, file: string): ScannedSchedule | undefined {
  if (text.includes('\r') || text.includes('```') || text.includes('~~~') || text.startsWith('\uFEFF')) {
    return undefined;
  }
  const statuses: StepStatus[] = [];
  const numbers: number[] = [];
  const offsets: number[] = [];
  const lineNumbers: number[] = [];
  const ends: number[] = [];
  let ordered = true;
  let afterStep = false;
  for (let offset = 0, line = 1; offset < text.length; line += 1) {
    const newline = text.indexOf('\n', offset);
    const end = newline === -1 ? text.length : newline;
    const first = text.charCodeAt(offset);
    if (first === OPEN_BRACKET) {
      if (isCommonStepAt(text, offset, end)) {
        const status = STATUS_BY_LETTER[text.charAt(offset + 1)];
        if (status === undefined) return undefined;
        const number = digitsAt(text, offset + status.length + 3);
        if (numbers.length > 0 && number <= (numbers[numbers.length - 1] ?? 0)) ordered = false;
        statuses.push(status);
        numbers.push(number);
        offsets.push(offset);
        lineNumbers.push(line);
        ends.push(end);
        afterStep = true;
      } else if (isStepCandidate(text.slice(offset, end))) return undefined;
      else afterStep = false;
    } else if (first === SPACE || first === TAB) {
      // Under a step: an attribute, which the scan does not read. Elsewhere: prose, unless
      // it is an indented status marker, which is a problem for `parseSchedule` to report.
      if (afterStep || isIndentedStep(text.slice(offset, end)) || isListItemStep(text.slice(offset, end))) {
        return undefined;
      }
    } else {
      // A step written as a list item (`- [wait] 1. ...`) is a problem for `parseSchedule`.
      if ((first === DASH || first === STAR || first === PLUS) && isListItemStep(text.slice(offset, end)))
        return undefined;
      afterStep = false;
    }
    offset = end + 1;
  }
  // Step numbers in rising order cannot repeat; others are checked, and a repeat is a problem.
  if (!ordered && new Set(numbers).size !== numbers.length) return undefined;
  return {
    file,
    text,
    statuses,
    numbers,
    step: (index) => {
      const offset = offsets[index] ?? -1;
      const parsed = parsePlainStep(text.slice(offset, ends[index]), file, lineNumbers[index] ?? 0, offset);
      if (!('status' in parsed)) throw new Error(`step line at offset ${offset} scanned but does not parse`);
      return parsed;
    },
  };
}

/** The value of the decimal digits at `index` (a step number: at most 15 digits, safe). */
function digitsAt(text: string, index: number): number {
  let value = 0;
  for (let at = index; ; at += 1) {
    const code = text.charCodeAt(at);
    if (code < 0x30 || code > 0x39) return value;
    value = value * 10 + (code - 0x30);
  }
}
