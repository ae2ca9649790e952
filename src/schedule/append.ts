/**
 * Steps appended to a schedule someone already parsed (`workflow add` at the end, a step
 * written under the last one): parsed alone, so that the engine takes an added step into its
 * plan at the cost of the new lines, not of the whole schedule (issue 21).
 *
 * Only tails that parse alone exactly as they would at the end of the whole text qualify; for
 * anything else `parseAppendedSteps` says so (undefined), and the caller parses the whole text,
 * which also reports any problem with its true position.
 */
import { ScheduleSyntaxError } from '../errors.js';
import { ATTRIBUTE_LINE } from './attributes.js';
import { isStepCandidate, parseSchedule } from './parse.js';
import type { Step } from './step.js';

/** Where the appended text starts in the whole text. */
export interface TailPlace {
  /** 1-based line number of the tail's first line. */
  readonly line: number;
  /** Offset (UTF-16 code units, as `Step.offset`) of the tail's first character. */
  readonly offset: number;
}

/** True when `text` holds a fence (```` ``` ```` or `~~~`): step lines may then be code, not steps. */
export function mayHoldFence(text: string): boolean {
  return text.includes('```') || text.includes('~~~');
}

/**
 * Parses `tail`, the text appended after the last line break of a schedule that parsed
 * (without a fence, see `mayHoldFence`), into its steps, placed as in the whole text.
 *
 * The tail qualifies when it starts with a step line (so no item of it belongs to a step
 * before it, and a BOM cannot be taken for the file's), holds no fence, parses (after a
 * `[done]` stub of each step before it that its `needs` items name, so that they count as
 * present), and none of its step numbers is `known`. No step before the tail can need a step
 * in it (their needs all named steps before it when it parsed), so a cycle can only lie within.
 *
 * @param tail - the appended text.
 * @param file - the schedule's path (only for the parser's labels; problems are not reported).
 * @param known - whether the schedule before the tail holds step `number`.
 * @param place - where the tail starts.
 * @returns the tail's steps with `line` and `offset` in the whole text; undefined when the
 *   tail does not qualify (parse the whole text instead). An empty array for a tail of prose.
 */
export function parseAppendedSteps(
  tail: string,
  file: string,
  known: (number: number) => boolean,
  place: TailPlace,
): Step[] | undefined {
  const newline = tail.indexOf('\n');
  if (!isStepCandidate(newline === -1 ? tail : tail.slice(0, newline)) || mayHoldFence(tail)) return undefined;
  const named = new Set<number>();
  for (const line of tail.split('\n')) {
    const item = ATTRIBUTE_LINE.exec(line);
    if (!item || !/^needs[ \t]*:/i.test(item[2] ?? '')) continue;
    for (const digits of item[2]?.match(/\d+/g) ?? []) {
      const number = Number(digits);
      if (known(number)) named.add(number);
    }
  }
  const stubs = [...named].map((number) => `[done] ${number}. s | m -- s\n`).join('');
  let steps: readonly Step[];
  try {
    steps = parseSchedule(stubs + tail, file).steps;
  } catch (error) {
    // The whole text's parse reports it, with its true line: the caller falls back to it.
    if (error instanceof ScheduleSyntaxError) return undefined;
    throw error;
  }
  const added = steps.slice(named.size);
  if (added.some((step) => known(step.number))) return undefined;
  const lineShift = place.line - 1 - named.size;
  const offsetShift = place.offset - stubs.length;
  return added.map((step) => ({ ...step, line: step.line + lineShift, offset: step.offset + offsetShift }));
}
