/**
 * Refused schedules of the bad-input corpus, part 1: bytes and step lines (binary content, NUL,
 * invalid UTF-8, UTF-16, lone carriage returns, a truncated file, a huge step number, an
 * unmatched `)`, model names that are paths). Every verb exits 2 naming the line and touches
 * no file (see `refused.ts`); the attribute-level files are in `bad-attributes.test.ts`, the
 * valid but weird ones in `weird-input.test.ts`.
 */
import { describe, it } from 'vitest';
import { expectRefused, type Refused } from './refused.js';

const REFUSED: readonly Refused[] = [
  { file: 'binary.md', lines: [1, 3, 4] },
  { file: 'nul-byte.md', lines: [4] },
  { file: 'invalid-utf8.md', lines: [3] },
  { file: 'utf16le.md', lines: [1, 2] },
  { file: 'lone-cr.md', lines: [1] },
  { file: 'truncated-step.md', lines: [4], parseLines: [4] },
  { file: 'huge-step-number.md', lines: [3], parseLines: [3] },
  { file: 'unbalanced-parens-ref.md', lines: [3], parseLines: [3] },
  { file: 'model-traversal.md', lines: [3, 4], parseLines: [3, 4] },
];

describe('refused schedules: exit 2, the line to blame, and no file touched', () => {
  it.each(REFUSED)('$file', expectRefused);
});
