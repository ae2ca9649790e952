/**
 * Step attributes (DESIGN.md §2): indented list items directly under a step line, such as
 * `  - needs: 3, 4` or `  - timeout: 30m`. Pure parsing of keys and values.
 */
import { NAME_PATTERN } from '../names.js';
import type { Problem } from '../errors.js';
import { checkOutputPattern } from '../outputs/pattern.js';
import type { RunCondition, StepAttributes } from './step.js';

/** Every attribute key the engine understands. Any other key is an error. */
export const ATTRIBUTE_KEYS = [
  'needs',
  'when',
  'blocks',
  'retries',
  'backoff',
  'timeout',
  'stall',
  'verify',
  'isolation',
  'candidates',
  'judge',
  'outputs',
  'added-by',
] as const;

/**
 * The keys that may be given more than once per step: each `verify:` is one more command, each
 * `outputs:` one more path or glob (one per item: a glob's `{a,b}` holds commas).
 */
const REPEATABLE_KEYS: readonly AttributeKey[] = ['verify', 'outputs'];

/** One attribute key. */
export type AttributeKey = (typeof ATTRIBUTE_KEYS)[number];

/**
 * An indented list item (`  - ...`, `\t* ...`); group 1 is the indent plus bullet. `s`: an
 * item holding U+2028 or U+2029 is still an item (and refused), not prose dropped silently.
 */
export const ATTRIBUTE_LINE = /^([ \t]+[-*+][ \t]+)(.*)$/s;

/** The fewest and most candidates a step may run (`candidates: N`). */
export const MIN_CANDIDATES = 2;
export const MAX_CANDIDATES = 16;

/** The most retries a step may ask for; more is surely a typo. */
const MAX_RETRIES = 100;

/** A value that failed to parse: what was expected, and at which column of the value. */
export interface AttributeValueProblem {
  readonly expected: string;
  readonly found: string;
  /** 0-based offset within the value where the problem starts. */
  readonly at: number;
}

type Parsed<T> = { ok: true; value: T } | ({ ok: false } & AttributeValueProblem);

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `250ms`, `5s`, `1.5m` or `2h` into milliseconds.
 *
 * @returns the duration in ms (rounded to a whole ms), or undefined if `text` is not a
 *   positive number followed directly by one of the units `ms`, `s`, `m`, `h`.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?(ms|s|m|h)$/.exec(text);
  if (!match) return undefined;
  const unit = UNITS_MS[match[3] ?? ''] ?? Number.NaN;
  const fraction = match[2] ?? '';
  // Whole part and fraction apart, each exact in a double: `Number('400000000.000004') * unit`
  // is not, and rounds 1440000000000014.4 ms up to ...015.
  const ms = Number(match[1]) * unit + Math.round((Number(fraction || '0') * unit) / 10 ** fraction.length);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * A duration in ms as a schedule would write it, the inverse of `parseDuration`: `2s`, `30m`,
 * `1h`, or `1500ms` when no larger unit divides it. Pure.
 */
export function formatDurationText(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Splits `a, b,c` into items with their offsets, for comma-list attributes. */
function splitList(value: string): { item: string; at: number }[] {
  const items: { item: string; at: number }[] = [];
  let at = 0;
  for (const raw of value.split(',')) {
    const lead = raw.length - raw.trimStart().length;
    items.push({ item: raw.trim(), at: at + lead });
    at += raw.length + 1;
  }
  return items;
}

function parseNeeds(value: string): Parsed<number[]> {
  if (value === 'none') return { ok: true, value: [] };
  const numbers: number[] = [];
  for (const { item, at } of splitList(value)) {
    if (!/^[1-9]\d*$/.test(item) || !Number.isSafeInteger(Number(item))) {
      return { ok: false, expected: "step numbers such as '1, 3' or 'none'", found: quote(item), at };
    }
    numbers.push(Number(item));
  }
  return { ok: true, value: numbers };
}

function parseWhen(value: string): Parsed<RunCondition> {
  if (value === 'success' || value === 'failure' || value === 'always') return { ok: true, value };
  return { ok: false, expected: "'success', 'failure' or 'always'", found: quote(value), at: 0 };
}

/** Longest block name: the agent's mailbox name, `step-<N>-<block>`, must stay a valid name. */
const MAX_BLOCK_NAME = 40;

function parseBlocks(value: string): Parsed<string[]> {
  const names: string[] = [];
  for (const { item, at } of splitList(value)) {
    if (!NAME_PATTERN.test(item) || item.length > MAX_BLOCK_NAME) {
      return {
        ok: false,
        expected: `block names of letters, digits, . _ - (at most ${MAX_BLOCK_NAME} characters)`,
        found: quote(item),
        at,
      };
    }
    if (names.includes(item)) {
      return { ok: false, expected: 'distinct block names', found: `${quote(item)} twice`, at };
    }
    names.push(item);
  }
  return { ok: true, value: names };
}

function parseIsolation(value: string): Parsed<'worktree' | 'none'> {
  if (value === 'worktree' || value === 'none') return { ok: true, value };
  return { ok: false, expected: "'worktree' or 'none'", found: quote(value), at: 0 };
}

function parseCandidates(value: string): Parsed<number> {
  if (/^\d{1,2}$/.test(value) && Number(value) >= MIN_CANDIDATES && Number(value) <= MAX_CANDIDATES) {
    return { ok: true, value: Number(value) };
  }
  return {
    ok: false,
    expected: `a whole number from ${MIN_CANDIDATES} to ${MAX_CANDIDATES}`,
    found: quote(value),
    at: 0,
  };
}

/** `first`, `smallest`, or a model name (the judge agent's model). */
function parseJudge(value: string): Parsed<string> {
  if (NAME_PATTERN.test(value)) return { ok: true, value };
  return { ok: false, expected: "'first', 'smallest' or a model name", found: quote(value), at: 0 };
}

/** `added-by: N`: the step whose agent added this one (`workflow add`); one step number. */
function parseAddedBy(value: string): Parsed<number> {
  if (/^[1-9]\d*$/.test(value) && Number.isSafeInteger(Number(value))) return { ok: true, value: Number(value) };
  return { ok: false, expected: 'one step number such as 3', found: quote(value), at: 0 };
}

function parseRetries(value: string): Parsed<number> {
  if (/^\d{1,3}$/.test(value) && Number(value) <= MAX_RETRIES) {
    return { ok: true, value: Number(value) };
  }
  return { ok: false, expected: `a whole number from 0 to ${MAX_RETRIES}`, found: quote(value), at: 0 };
}

function parseDurationValue(value: string): Parsed<number> {
  const ms = parseDuration(value);
  if (ms !== undefined) return { ok: true, value: ms };
  return { ok: false, expected: "a duration such as '500ms', '5s', '30m' or '2h'", found: quote(value), at: 0 };
}

/**
 * Checks one verification command (`verify: npm test`, or `workflow run --verify`): any shell
 * line but an empty one or one with control characters other than a tab, which `sh -c` could
 * not be given (NUL) or which would hide what runs from a person reading the schedule.
 *
 * @param value - the command, trimmed.
 * @returns undefined for a usable command, else what was expected and what was found.
 */
export function checkVerifyCommand(value: string): AttributeValueProblem | undefined {
  if (value === '') return { expected: "a shell command such as 'npm test'", found: 'nothing', at: 0 };
  // eslint-disable-next-line no-control-regex
  const control = /[\x00-\x08\x0a-\x1f\x7f]/.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, '0');
    return { expected: 'a shell command without control characters', found: `\\x${code}`, at: control.index };
  }
  return undefined;
}

function parseVerify(value: string): Parsed<string> {
  const problem = checkVerifyCommand(value);
  return problem ? { ok: false, ...problem } : { ok: true, value };
}

function parseOutput(value: string): Parsed<string> {
  const problem = checkOutputPattern(value);
  return problem ? { ok: false, ...problem } : { ok: true, value };
}

/**
 * Parses one attribute's value and stores it into `into` under the attribute's field.
 *
 * @returns undefined on success, or the problem with the value.
 */
export function applyAttribute(
  key: AttributeKey,
  value: string,
  into: MutableAttributes,
): AttributeValueProblem | undefined {
  const store = <T>(parsed: Parsed<T>, set: (value: T) => void): AttributeValueProblem | undefined => {
    if (!parsed.ok) return parsed;
    set(parsed.value);
    return undefined;
  };
  switch (key) {
    case 'needs':
      return store(parseNeeds(value), (v) => (into.needs = v));
    case 'when':
      return store(parseWhen(value), (v) => (into.when = v));
    case 'blocks':
      return store(parseBlocks(value), (v) => (into.blocks = v));
    case 'retries':
      return store(parseRetries(value), (v) => (into.retries = v));
    case 'backoff':
      return store(parseDurationValue(value), (v) => (into.backoffMs = v));
    case 'timeout':
      return store(parseDurationValue(value), (v) => (into.timeoutMs = v));
    case 'stall':
      return store(parseDurationValue(value), (v) => (into.stallMs = v));
    case 'verify':
      return store(parseVerify(value), (v) => (into.verify = [...(into.verify ?? []), v]));
    case 'isolation':
      return store(parseIsolation(value), (v) => (into.isolation = v));
    case 'candidates':
      return store(parseCandidates(value), (v) => (into.candidates = v));
    case 'judge':
      return store(parseJudge(value), (v) => (into.judge = v));
    case 'outputs':
      return store(parseOutput(value), (v) => (into.outputs = [...(into.outputs ?? []), v]));
    case 'added-by':
      return store(parseAddedBy(value), (v) => (into.addedBy = v));
  }
}

/** True when `word` is a known attribute key. */
export function isAttributeKey(word: string): word is AttributeKey {
  return (ATTRIBUTE_KEYS as readonly string[]).includes(word);
}

/** Quotes found text for an error message; empty text reads as `nothing`. */
export function quote(text: string): string {
  return text === '' ? 'nothing' : `'${text}'`;
}

/** Step attributes while they are being read. */
export type MutableAttributes = { -readonly [K in keyof StepAttributes]: StepAttributes[K] };

/**
 * Reads one attribute item (`  - key: value`) into `into`.
 *
 * @param item - the match of `ATTRIBUTE_LINE`: indent plus bullet, then the entry.
 * @returns the key and the column of its value, or the problem with the item.
 */
export function parseAttributeItem(
  item: RegExpExecArray,
  into: MutableAttributes,
  where: { file: string; line: number },
): { key: string; column: number } | Problem {
  const indent = item[1]?.length ?? 0;
  const text = item[2] ?? '';
  const problemAt = (at: number, expected: string, found: string): Problem => ({
    ...where,
    column: indent + at + 1,
    expected,
    found,
  });
  // Trailing blanks are trimmed by `trimBlanksEnd`: a lazy `(.*?)[ \t]*$` backtracks in time
  // quadratic in a long run of blanks (100 KB of spaces took 17 s).
  const entry = /^([A-Za-z][\w-]*):[ \t]*(.*)$/.exec(text);
  const key = entry?.[1] ?? '';
  if (!entry || !isAttributeKey(key)) {
    const keys = ATTRIBUTE_KEYS.join(', ');
    return problemAt(0, `an attribute 'key: value' with a key from ${keys}`, quote(entry ? key : text));
  }
  if (!REPEATABLE_KEYS.includes(key) && attributeSet(into, key))
    return problemAt(0, 'each attribute once per step', `a second '${key}'`);
  // Blocks share one step: each block's attempt would be failed for the outputs of the others.
  if ((key === 'outputs' && into.blocks) || (key === 'blocks' && into.outputs)) {
    return problemAt(
      0,
      "'outputs:' on a step without 'blocks:'",
      `'${key}:' with '${key === 'outputs' ? 'blocks' : 'outputs'}:'`,
    );
  }
  const value = trimBlanksEnd(entry[2] ?? '');
  const valueAt = text.indexOf(value, key.length + 1);
  const problem = applyAttribute(key, value, into);
  if (problem) return problemAt(valueAt + problem.at, problem.expected, problem.found);
  return { key, column: indent + valueAt + 1 };
}

/** `text` without trailing spaces and tabs, in linear time. */
function trimBlanksEnd(text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end -= 1;
  return text.slice(0, end);
}

/** True when the attribute `key` already has a value in `attributes`. */
function attributeSet(attributes: StepAttributes, key: AttributeKey): boolean {
  const field =
    { backoff: 'backoffMs', timeout: 'timeoutMs', stall: 'stallMs', 'added-by': 'addedBy' }[key as string] ?? key;
  return (attributes as Record<string, unknown>)[field] !== undefined;
}
