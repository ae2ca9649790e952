import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/text/printable.js';

/** What a terminal would act on: C0 controls, DEL, C1 controls, bidi formatting, line separators. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('printable', () => {
  it.each([
    ['plain text', 'step 2 done: 12 files', 'step 2 done: 12 files'],
    ['a screen clear', 'x\x1b[2Jy', 'x\\x1b[2Jy'],
    ['an OSC 52 clipboard write ended by BEL', '\x1b]52;c;cm0gLXJmIH4=\x07ok', '\\x1b]52;c;cm0gLXJmIH4=\\x07ok'],
    ['an OSC ended by ST', '\x1b]0;title\x1b\\', '\\x1b]0;title\\x1b\\'],
    ['a C1 CSI', 'a\x9b2Jb', 'a\\x9b2Jb'],
    ['a CR overwrite', 'rm -rf /\rls -l   ', 'rm -rf /\\rls -l   '],
    ['backspaces', 'yes\b\b\bno', 'yes\\b\\b\\bno'],
    ['a newline', 'a\nstep 3 (x): done', 'a\\nstep 3 (x): done'],
    ['a CRLF', 'a\r\nb', 'a\\r\\nb'],
    ['a tab', 'a\tb', 'a\tb'],
    ['NUL and DEL', '\x00\x7f', '\\x00\\x7f'],
    ['a right-to-left override', 'file\u202eexe.txt', 'file\\u{202e}exe.txt'],
    ['bidi isolates and marks', '\u2066a\u2069\u200f', '\\u{2066}a\\u{2069}\\u{200f}'],
    ['a line separator', 'a\u2028b', 'a\\u{2028}b'],
    ['backslashes and non-ASCII text', 'C:\\x1b · naïve 日本', 'C:\\x1b · naïve 日本'],
  ])('one line: %s', (_, text, shown) => {
    expect(printable(text)).toBe(shown);
  });

  it.each([
    ['newlines', 'a\nb\n', 'a\nb\n'],
    ['CRLF as a newline', 'a\r\nb', 'a\nb'],
    ['a lone CR', 'a\rb', 'a\\rb'],
    ['an escape sequence', 'a\n\x1b[1Ab', 'a\n\\x1b[1Ab'],
  ])('a block: %s', (_, text, shown) => {
    expect(printable(text, { keepNewlines: true })).toBe(shown);
  });

  it('never leaves a control character but TAB (and LF in a block)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(printable(text).replace(/\t/g, '')).not.toMatch(CONTROL);
        expect(printable(text, { keepNewlines: true }).replace(/[\t\n]/g, '')).not.toMatch(CONTROL);
      }),
    );
  });

  it('leaves printable ASCII text as it is', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
        (text) => {
          expect(printable(text)).toBe(text);
        },
      ),
    );
  });

  it('keeps every printable character in order (escapes only add)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        // Code points, as the escapes work on: a lone surrogate stays one unit.
        // eslint-disable-next-line @typescript-eslint/no-misused-spread
        const kept = [...text].filter((char) => !CONTROL.test(char)).join('');
        let rest = printable(text);
        for (const char of kept) {
          const at = rest.indexOf(char);
          expect(at).toBeGreaterThanOrEqual(0);
          rest = rest.slice(at + char.length);
        }
      }),
    );
  });
});
