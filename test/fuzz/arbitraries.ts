/**
 * Shared pieces of the fuzz suite: hostile input generators and the robustness oracle
 * ("returns, or throws a documented planspace error with one of these codes").
 *
 * Every property runs through `fc.assert`, which prints the seed and the shrunk
 * counterexample on failure; rerun one with `FUZZ_SEED=<seed>` to replay it exactly.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { PlanspaceError } from '../../src/errors.js';

const seed = process.env['FUZZ_SEED'];
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });

/** Runs for pure functions (thousands per property). */
export const PURE_RUNS = 3000;

/** Runs for properties over very long adversarial strings (each case is up to a few hundred KiB). */
export const LONG_RUNS = 100;

/**
 * Calls `run` and checks that it either returns or throws an instance of `documented` (one of
 * the error classes planspace documents) with the stable `code`: a TypeError, RangeError or
 * any other exception fails the property.
 *
 * @returns the value returned, or the documented error thrown.
 */
export function returnsOrThrows<T, E extends PlanspaceError>(
  run: () => T,
  documented: abstract new (...args: never[]) => E,
  code: string,
): T | E {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof documented)) throw error;
    expect(error.code).toBe(code);
    return error;
  }
}

/** A character from anywhere in UTF-16, lone surrogates and control characters included. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** Characters the schedule grammar and markdown give meaning to, weighted to appear often. */
const grammarUnit = fc.constantFrom(
  '[',
  ']',
  '(',
  ')',
  '|',
  '-',
  ' ',
  '\t',
  '\r',
  '\n',
  '.',
  ',',
  ':',
  '#',
  '`',
  '~',
  '>',
  '*',
  '0',
  '1',
  '9',
  'a',
  '\u0000',
  '\u00a0',
  '\ufeff',
  '\ud800',
);

/** Arbitrary text: any UTF-16 units, mostly the ones that matter to the grammar. */
export const hostileText = (maxLength = 80): fc.Arbitrary<string> =>
  fc.string({ unit: fc.oneof({ weight: 3, arbitrary: grammarUnit }, { weight: 1, arbitrary: anyUnit }), maxLength });

/** Line endings, mixed within one file: LF, CRLF, a lone CR and CR CR LF. */
export const lineEnding = fc.constantFrom('\n', '\n', '\r\n', '\r', '\r\r\n');

/** Joins lines with independently chosen line endings, with or without a final one. */
export function joinLines(lines: readonly string[], endings: readonly string[], final: boolean): string {
  return lines
    .map((line, index) => line + (index < lines.length - 1 || final ? (endings[index % endings.length] ?? '\n') : ''))
    .join('');
}

/**
 * Applies random edits to `text`: deleting, inserting or replacing one character, or
 * doubling a slice, at positions picked by the generator. Near-misses of a grammar come
 * from well-formed text passed through this.
 */
export const corrupt = (text: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(
      text,
      fc.array(fc.tuple(fc.constantFrom('delete', 'insert', 'replace', 'double'), fc.nat(), grammarUnit), {
        maxLength: 3,
      }),
    )
    .map(([base, edits]) =>
      edits.reduce((current, [kind, position, unit]) => {
        const at = current.length === 0 ? 0 : position % current.length;
        if (kind === 'delete') return current.slice(0, at) + current.slice(at + 1);
        if (kind === 'insert') return current.slice(0, at) + unit + current.slice(at);
        if (kind === 'replace') return current.slice(0, at) + unit + current.slice(at + 1);
        return current.slice(0, at) + current.slice(at, at + 8) + current.slice(at);
      }, base),
    );

/**
 * A long adversarial string: a short piece that regular expressions backtrack on (runs of
 * blanks, parentheses, separators) repeated tens of thousands of times, followed by a short
 * tail that makes a match fail late. Lengths reach a few hundred KiB, where a quadratic
 * regular expression takes minutes and the test times out, while a linear parser takes
 * milliseconds.
 */
export const longRun = (pieces: readonly string[], repeat = { min: 20_000, max: 100_000 }): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...pieces), fc.integer(repeat), hostileText(3))
    .map(([piece, count, tail]) => piece.repeat(count) + tail);
