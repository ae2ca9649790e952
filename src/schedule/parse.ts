/**
 * The schedule grammar of DESIGN.md §2, as pure functions from text to steps.
 *
 * ```text
 * [wait] 4. section-loop | claude-opus,gpt-5.3-codex-high -- per-section work (implement.md Stages 4-5)
 *   - needs: 3
 *   - timeout: 30m
 * ```
 *
 * A line is a step candidate when it starts in column 0 with `[word]` (letters only, not
 * followed by `:`, which would make it a markdown link definition) outside any fenced code
 * block. A candidate that does not fit the grammar is an error; so is a status marker such as
 * `[wait]` after spaces or tabs, which a reader takes for a step that every verb would skip.
 * Every other line is prose.
 */
import { ScheduleSyntaxError, type Problem } from '../errors.js';
import { NAME_PATTERN } from '../names.js';
import { ATTRIBUTE_LINE, parseAttributeItem, quote, type MutableAttributes } from './attributes.js';
import { badNeeds, candidatesConflicts, duplicateNumbers, type CandidatesAt, type NeedsAt } from './checks.js';
import { findCodeBlocks } from './fences.js';
import { isStepStatus, type Schedule, type Step, type StepAttributes, type StepStatus } from './step.js';

/** A marker-like start of line: `[letters]` not followed by `:`. */
const CANDIDATE = /^\[[A-Za-z]*\](?!:)/;

/**
 * A status marker after spaces or tabs: `  [wait] 3. scan | ...`. Only real statuses, so that
 * indented prose such as ` [note] ...` stays prose.
 */
const INDENTED_CANDIDATE = /^[ \t]+\[(?:wait|run|done|fail|skip)\](?!:)/i;

/**
 * A step written as a markdown list item: `- [wait] 1. ...`, `* [done] ...` (any indent), or
 * a task-list item numbered like a step, `- [ ] 1. ...` or `- [x] 1. ...`. Markdown editors
 * and habits make these; as prose they hid every step (`0 steps`, and `run` said COMPLETE).
 * Attribute items under a step (`  - needs: 3`) and other task items stay what they were.
 */
const LIST_ITEM_STEP = /^([ \t]*[-*+][ \t]+)\[(?:(wait|run|done|fail|skip)\](?!:)|([ xX])\][ \t]+[1-9]\d*\.[ \t])/i;

/** Where a step line sits in its file, for positions in errors. */
export interface LinePlace {
  /** Path or label used in error positions. Default `<argument>`. */
  readonly file?: string;
  /** 1-based line number. Default 1. */
  readonly line?: number;
  /** Offset of the line's first character in the whole text. Default 0. */
  readonly offset?: number;
}

/** True when `text` (one line, no line ending) starts like a step and must parse as one. */
export function isStepCandidate(text: string): boolean {
  return CANDIDATE.test(text);
}

/**
 * True when `text` (one line, no line ending) is a status marker such as `[wait]` after
 * spaces or tabs: not a step (steps start in column 0, DESIGN.md §2) but never prose either.
 */
export function isIndentedStep(text: string): boolean {
  return INDENTED_CANDIDATE.test(text);
}

/** True when `text` (one line, no line ending) is a step written as a list item (see `LIST_ITEM_STEP`). */
export function isListItemStep(text: string): boolean {
  return LIST_ITEM_STEP.test(text);
}

/**
 * The problem of a step written as a list item, with the fix, e.g. `schedule.md:3:1: expected
 * a step line starting in column 0 with its status marker (remove '- '), found a list item '- [wait]'`.
 */
function listItemStep(text: string, file: string, line: number): Problem | undefined {
  const match = LIST_ITEM_STEP.exec(text);
  if (!match) return undefined;
  const bullet = match[1] ?? '';
  const box = match[3];
  const fix =
    box === undefined ? `remove '${bullet}'` : `write '[${box === ' ' ? 'wait' : 'done'}]' for '${bullet}[${box}]'`;
  const found = `a list item ${quote(text.slice(0, text.indexOf(']') + 1))}`;
  return problemAt(file, line, 0, `a step line starting in column 0 with its status marker (${fix})`, found);
}

/** The result of parsing one line: a step, or the problems found in it. */
export type StepLineResult =
  { readonly ok: true; readonly step: Step } | { readonly ok: false; readonly problems: readonly Problem[] };

/**
 * Parses one step line (without its line ending) into a step with no attributes.
 *
 * @param text - the line, e.g. `[wait] 3. scan | glm -- relevance scan (implement.md Stage 3)`.
 * @param place - where the line sits, for the step's `line`/`offset` and error positions.
 * @returns the step, or the first problem found (the grammar cannot resync within a line).
 */
export function parseStepLine(text: string, place: LinePlace = {}): StepLineResult {
  const parsed = parseStep(text, place.file ?? '<argument>', place.line ?? 1, place.offset ?? 0, {});
  return 'status' in parsed ? { ok: true, step: parsed } : { ok: false, problems: [parsed] };
}

const SPACE = 0x20;
const TAB = 0x09;

/**
 * The shape of most step lines, matched in one native regular-expression call: a name
 * without `|`, models, a description without parentheses, and an optional ref without
 * parentheses. Every line it matches parses exactly as `parseStepGrammar` parses it (a
 * property test holds the two equal); every other line goes through `parseStepGrammar`.
 * Large schedules are parsed on every verb call, mostly by code that has not been optimised
 * yet, so one regular expression per line is several times cheaper than the scan.
 */
export const COMMON_STEP =
  /^\[(wait|run|done|fail|skip)\] ([1-9]\d{0,14})\. ([^\s|](?:[^|]*?[^\s|])?) \| ([A-Za-z0-9][\w.-]{0,63}(?:,[A-Za-z0-9][\w.-]{0,63})*) -- ((?:[^\s()][^()]*?)?)(?:(?:(?<! -- ) \(|(?<= -- )\()([^()]*[^()\s][^()]*)\))?([ \t]*)$/;

/**
 * Longest line `COMMON_STEP` is tried on. Its lazy description and its ref backtrack in time
 * quadratic in the line's length on some lines (an unclosed `(`, a long run of spaces): a
 * 200 KB line took half a minute. `parseStepGrammar` is linear, and real step lines are short.
 */
export const COMMON_STEP_MAX = 1024;

/** Parses a step line: `COMMON_STEP` when it matches, else the full grammar. */
function parseStep(
  text: string,
  file: string,
  line: number,
  offset: number,
  attributes: StepAttributes,
): Step | Problem {
  const match = text.length <= COMMON_STEP_MAX ? COMMON_STEP.exec(text) : null;
  if (!match) return parseStepGrammar(text, file, line, offset, attributes);
  const [, status, digits, name, models, description, ref, trailing] = match as unknown as string[];
  return {
    line,
    offset,
    status: status as StepStatus,
    number: Number(digits),
    name: name ?? '',
    models: (models ?? '').split(','),
    description: description ?? '',
    ref,
    trailing: trailing ?? '',
    attributes,
    text,
  };
}

/**
 * The grammar itself, written with index arithmetic and precise errors: the status marker,
 * number, name, models, description and ref in turn, stopping at the first problem.
 * Returns the step with the given attributes object, or the first problem.
 */
export function parseStepGrammar(
  text: string,
  file: string,
  line: number,
  offset: number,
  attributes: StepAttributes,
): Step | Problem {
  // No closures here: this runs once per step line, and allocations add up on large schedules.
  if (isBlank(text.charCodeAt(0))) return indentedStep(text, file, line);
  const close = text.indexOf(']');
  if (!text.startsWith('[') || close === -1)
    return problemAt(file, line, 0, 'a status marker such as [wait]', foundAt(text, 0, 8));
  const word = text.slice(1, close);
  if (!isStepStatus(word)) return problemAt(file, line, 1, 'a status: wait, run, done, fail or skip', quote(word));
  let at = close + 1;
  if (text.charCodeAt(at) !== SPACE)
    return problemAt(file, line, at, 'a space after the status marker', foundAt(text, at));
  at += 1;

  let digitsEnd = at;
  while (digitsEnd < text.length && isDigit(text.charCodeAt(digitsEnd))) digitsEnd += 1;
  const digits = text.slice(at, digitsEnd);
  if (digits === '') return problemAt(file, line, at, 'a step number', foundAt(text, at));
  if (digits.startsWith('0'))
    return problemAt(file, line, at, 'a positive step number without leading zeros', quote(digits));
  const number = Number(digits);
  if (!Number.isSafeInteger(number)) {
    return problemAt(file, line, at, `a step number no larger than ${Number.MAX_SAFE_INTEGER}`, quote(digits));
  }
  at = digitsEnd;
  if (!text.startsWith('. ', at)) return problemAt(file, line, at, "'. ' after the step number", foundAt(text, at, 2));
  at += 2;

  const nameEnd = text.indexOf(' | ', at - 1);
  if (nameEnd === -1) return problemAt(file, line, at, "a step name followed by ' | '", foundAt(text, at, 20));
  const name = text.slice(at, nameEnd);
  if (name === '' || isBlank(name.charCodeAt(0)) || isBlank(name.charCodeAt(name.length - 1))) {
    return problemAt(file, line, at, 'a step name without surrounding spaces', quote(name));
  }
  at = nameEnd + 3;

  const modelsEnd = text.indexOf(' -- ', at - 1);
  if (modelsEnd === -1)
    return problemAt(file, line, at, "a comma list of models followed by ' -- '", foundAt(text, at, 20));
  const models = text.slice(at, modelsEnd).split(',');
  for (const model of models) {
    if (!NAME_PATTERN.test(model)) {
      return problemAt(
        file,
        line,
        at,
        'a model name of letters, digits, . _ - (models separated by commas only)',
        quote(model),
      );
    }
    at += model.length + 1;
  }
  at = modelsEnd + 4;

  let end = text.length;
  while (end > at && isBlank(text.charCodeAt(end - 1))) end -= 1;
  if (end > at && isBlank(text.charCodeAt(at)))
    return problemAt(file, line, at, "a description after one space following '--'", foundAt(text, at));
  let description = text.slice(at, end);
  let ref: string | undefined;
  if (description.endsWith(')')) {
    const open = matchingOpenParen(description);
    if (open === -1) return problemAt(file, line, end - 1, "a '(' matching this ')'", 'unbalanced parentheses');
    if (open === 0 || description.charCodeAt(open - 1) === SPACE) {
      ref = description.slice(open + 1, -1);
      if (ref.trim() === '') return problemAt(file, line, at + open + 1, 'a ref inside ( )', quote(ref));
      description = description.slice(0, Math.max(0, open - 1));
    }
  }
  return {
    line,
    offset,
    status: word,
    number,
    name,
    models,
    description,
    ref,
    trailing: text.slice(end),
    attributes,
    text,
  };
}

/**
 * The problem of a line that puts spaces or tabs before its status marker, e.g.
 * `schedule.md:4:1: expected a step line starting in column 0, found 1 leading space before '[wait]'`.
 */
function indentedStep(text: string, file: string, line: number): Problem {
  let blanks = 0;
  while (isBlank(text.charCodeAt(blanks))) blanks += 1;
  const indent = text.slice(0, blanks);
  const kind = !indent.includes('\t') ? 'space' : !indent.includes(' ') ? 'tab' : 'space and tab';
  const count = kind === 'space and tab' ? `${blanks} leading spaces and tabs` : `${blanks} leading ${kind}`;
  const plural = blanks === 1 || kind === 'space and tab' ? count : `${count}s`;
  const close = text.indexOf(']', blanks);
  const marker = close === -1 ? foundAt(text, blanks, 8) : quote(text.slice(blanks, close + 1));
  return problemAt(file, line, 0, 'a step line starting in column 0', `${plural} before ${marker}`);
}

function problemAt(file: string, line: number, index: number, expected: string, found: string): Problem {
  return { file, line, column: index + 1, expected, found };
}

/** Quotes `length` characters of `text` from `index` for an error, or says `end of line`. */
function foundAt(text: string, index: number, length = 1): string {
  return index >= text.length ? 'end of line' : quote(text.slice(index, index + length));
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** Index of the `(` that balances the `)` ending `text`, or -1 if there is none. */
function matchingOpenParen(text: string): number {
  // Common case first: a ref without parentheses of its own.
  const last = text.lastIndexOf('(');
  if (last !== -1 && text.indexOf(')', last) === text.length - 1) return last;
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i -= 1) {
    if (text[i] === ')') depth += 1;
    else if (text[i] === '(') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The attributes of every step that has none, shared so that plain steps allocate less. */
const NO_ATTRIBUTES: StepAttributes = Object.freeze({});

/** The step `parseSchedule` makes of a step line without attributes (for `scanSchedule`). */
export function parsePlainStep(text: string, file: string, line: number, offset: number): Step | Problem {
  return parseStep(text, file, line, offset, NO_ATTRIBUTES);
}

/**
 * Parses a whole schedule: every step with its attributes, in file order.
 *
 * @param text - the schedule text (UTF-8 decoded; see `decodeSchedule` for raw bytes).
 * @param file - path or label used in error positions. Default `schedule.md`.
 * @returns the schedule; `steps[i].text` and `offset` locate each step line exactly.
 * @throws {ScheduleSyntaxError} listing every problem at once, in file order: lines that
 *   start like a step but do not fit the grammar, bad attributes, duplicate step numbers
 *   (naming both lines), `needs` that name missing steps or form a cycle, `blocks:` with
 *   `candidates:` on one step (on its step line) and `judge:` without `candidates:` (on its line).
 */
export function parseSchedule(text: string, file = 'schedule.md'): Schedule {
  const problems: Problem[] = [];
  const steps: Step[] = [];
  const needsAt: NeedsAt[] = [];
  const candidatesAt: CandidatesAt[] = [];
  const blocks = findCodeBlocks(text);
  let block = 0;
  // The step that attribute lines may still attach to (-1: none), and its attributes so far.
  let owner = -1;
  let ownerAttributes: MutableAttributes | undefined;

  // A byte order mark (kept in the text, so a write reproduces it) is not part of line 1: a step
  // there still starts in column 0 as an editor shows it.
  for (let offset = text.startsWith(BOM) ? 1 : 0, number = 1; offset < text.length; number += 1) {
    // Lines end at `\n`; a `\r` before it is part of the line ending, not of the content.
    const newline = text.indexOf('\n', offset);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(offset, end > offset && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    const lineOffset = offset;
    offset = end + 1;
    while (block < blocks.length && (blocks[block]?.end ?? 0) < number) block += 1;
    if ((blocks[block]?.start ?? Infinity) <= number) {
      owner = -1;
      continue;
    }
    const hidden = line.includes('\r') ? hiddenStep(line, file, number) : undefined;
    if (hidden) {
      problems.push(hidden);
      owner = -1;
      continue;
    }
    const listed = isStepCandidate(line) ? undefined : listItemStep(line, file, number);
    if (listed) {
      problems.push(listed);
      owner = -1;
      continue;
    }
    if (isStepCandidate(line) || (isBlank(line.charCodeAt(0)) && isIndentedStep(line))) {
      const parsed = parseStep(line, file, number, lineOffset, NO_ATTRIBUTES);
      owner = 'status' in parsed ? steps.push(parsed) - 1 : -1;
      ownerAttributes = undefined;
      if (!('status' in parsed)) problems.push(parsed);
      continue;
    }
    const item = owner === -1 ? null : ATTRIBUTE_LINE.exec(line);
    const step = steps[owner];
    if (!item || !step) {
      owner = -1;
      continue;
    }
    if (!ownerAttributes) {
      ownerAttributes = {};
      steps[owner] = { ...step, attributes: ownerAttributes };
    }
    const result = parseAttributeItem(item, ownerAttributes, { file, line: number });
    if ('expected' in result) problems.push(result);
    else if (result.key === 'needs') needsAt.push({ step: steps[owner] ?? step, line: number, column: result.column });
    else if (result.key === 'candidates' || result.key === 'judge') {
      candidatesAt.push({ step: steps[owner] ?? step, key: result.key, line: number, column: result.column });
    }
  }

  problems.push(
    ...duplicateNumbers(steps, file),
    ...badNeeds(steps, needsAt, file),
    ...candidatesConflicts(candidatesAt, file),
  );
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new ScheduleSyntaxError(problems);
  }
  return { file, text, steps };
}

/** U+FEFF, the byte order mark some editors put at the start of a UTF-8 file. */
const BOM = '\uFEFF';

/**
 * A carriage return alone is no line ending in the grammar, but editors show one as a line
 * break: a step line holding one, or one followed by a step line, would hide steps from every
 * verb. Returns the problem at the first such `\r`, or undefined.
 */
function hiddenStep(line: string, file: string, number: number): Problem | undefined {
  const first = line.indexOf('\r');
  const hides =
    isStepCandidate(line) ||
    isIndentedStep(line) ||
    line.split('\r').some((part, i) => i > 0 && (isStepCandidate(part) || isIndentedStep(part)));
  if (!hides) return undefined;
  return {
    file,
    line: number,
    column: first + 1,
    expected: "line endings '\\n' or '\\r\\n' around step lines",
    found: "a carriage return alone ('\\r')",
  };
}
