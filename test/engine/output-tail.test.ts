import { describe, expect, it } from 'vitest';
import { outputTail, TAIL_CHARS } from '../../src/engine/output-tail.js';

describe('outputTail', () => {
  it.each([
    ['nothing', '', ''],
    ['blank lines only', '\n  \n\t\n', ''],
    ['one line', 'Not logged in\n', 'Not logged in'],
    [
      'the last three non-empty lines',
      'a\nb\n\nNot logged in\n  \nPlease run /login\n',
      'b · Not logged in · Please run /login',
    ],
    ['CRLF lines, trimmed', '  one  \r\ntwo\r\n', 'one · two'],
    ['control characters escaped', 'ok\n\x1b[31mred\x1b[0m\x07\n', 'ok · \\x1b[31mred\\x1b[0m\\x07'],
    ['a CR overwrite shown', '50%\r100%\n', '50%\\r100%'],
  ])('%s', (_, output, tail) => {
    expect(outputTail(output)).toBe(tail);
  });

  it(`keeps the end of a long tail, at most ${TAIL_CHARS} characters`, () => {
    const tail = outputTail(`${'x'.repeat(1000)}end\n`);
    expect(tail).toHaveLength(TAIL_CHARS);
    expect(tail).toMatch(/^\.\.\.x+end$/);
  });
});
