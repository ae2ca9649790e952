import { isUtf8 } from 'node:buffer';
import { ScheduleSyntaxError, type Problem } from '../errors.js';

/**
 * Decodes a schedule file's bytes as UTF-8 text, refusing binary content.
 *
 * @param bytes - the file's bytes.
 * @param file - the path used in error positions.
 * @returns the text; a UTF-8 byte order mark, if present, is kept as U+FEFF so that
 *   writing the text back reproduces the file byte for byte.
 * @throws {ScheduleSyntaxError} listing every NUL byte and every invalid UTF-8 sequence, one
 *   problem per offending line, with the column of the first bad byte on that line.
 */
export function decodeSchedule(bytes: Uint8Array, file: string): string {
  if (isUtf8(bytes) && !bytes.includes(0)) return Buffer.from(bytes).toString('utf8');
  const problems: Problem[] = [];
  let start = 0;
  for (let line = 1; start <= bytes.length; line += 1) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    const problem = findBadByte(bytes.subarray(start, end));
    if (problem) problems.push({ file, line, ...problem });
    start = end + 1;
  }
  throw new ScheduleSyntaxError(problems);
}

/** Finds the first NUL byte or invalid UTF-8 sequence in one line's bytes. */
function findBadByte(line: Uint8Array): { column: number; expected: string; found: string } | undefined {
  let column = 1;
  for (let i = 0; i < line.length; column += 1) {
    const byte = line[i] ?? 0;
    if (byte === 0) return { column, expected: 'text', found: 'a NUL byte (binary content)' };
    const length = sequenceLength(line, i);
    if (length === 0) {
      const hex = byte.toString(16).padStart(2, '0');
      return { column, expected: 'UTF-8 text', found: `the invalid byte 0x${hex}` };
    }
    // A 4-byte sequence is one code point but two UTF-16 code units, as columns count them.
    if (length === 4) column += 1;
    i += length;
  }
  return undefined;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 if it is not valid there. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  for (const length of [1, 2, 3, 4]) {
    if (i + length <= bytes.length && isUtf8(bytes.subarray(i, i + length))) return length;
  }
  return 0;
}
