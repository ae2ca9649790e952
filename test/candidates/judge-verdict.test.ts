/**
 * The judge's verdict: only a last line `PICK: k <reason>` naming an eligible candidate picks
 * one; every other answer picks none and says why, quoting the judge.
 */
import { describe, expect, it } from 'vitest';
import { lastLine, parseJudgeVerdict, quote, type PickableCandidate } from '../../src/candidates/judge-verdict.js';

const CANDIDATES: PickableCandidate[] = [
  { k: 1, eligible: true, reason: null },
  { k: 2, eligible: true, reason: null },
  { k: 3, eligible: false, reason: 'verify failed: npm test' },
];

describe('parseJudgeVerdict', () => {
  it.each([
    ['PICK: 2 smaller', 2, 'smaller'],
    ['comparing...\n\nPICK: 1 the only one with tests\n', 1, 'the only one with tests'],
    ['thinking\r\nPICK: 2 handles empty input\r\n\r\n  \n', 2, 'handles empty input'],
    ['PICK:\t2\tsmaller diff', 2, 'smaller diff'],
    ['PICK: 2', 2, '(no reason given)'],
    // An earlier PICK line does not count: only the last line decides.
    ['PICK: 3 first thought\nPICK: 1 on reflection', 1, 'on reflection'],
  ])('%j picks candidate %i', (output, pick, reason) => {
    expect(parseJudgeVerdict(output, CANDIDATES)).toEqual({ pick, reason });
  });

  it('PICK: none picks none with the judge reason', () => {
    expect(parseJudgeVerdict('all wrong\nPICK: none neither handles the empty case', CANDIDATES)).toEqual({
      pick: 'none',
      reason: 'the judge picked none: neither handles the empty case',
    });
  });

  it.each([
    ['', 'the judge gave no verdict (its output is empty)'],
    ['\n  \n', 'the judge gave no verdict (its output is empty)'],
    [
      'I like candidate 2 best.',
      `the judge's last line is not 'PICK: k <reason>' or 'PICK: none <reason>': "I like candidate 2 best."`,
    ],
    // The PICK line must be the last one: a line after it (a sign-off) makes the answer garbage.
    ['PICK: 2 smaller\nThanks!', `the judge's last line is not 'PICK: k <reason>' or 'PICK: none <reason>': "Thanks!"`],
    [
      '**PICK: 2 smaller**',
      `the judge's last line is not 'PICK: k <reason>' or 'PICK: none <reason>': "**PICK: 2 smaller**"`,
    ],
    ['pick: 2 smaller', `the judge's last line is not 'PICK: k <reason>' or 'PICK: none <reason>': "pick: 2 smaller"`],
    ['PICK:2 smaller', `the judge's last line is not 'PICK: k <reason>' or 'PICK: none <reason>': "PICK:2 smaller"`],
    ['PICK: two smaller', `the judge's pick "two" is not a candidate number: "PICK: two smaller"`],
    ['PICK: 2.5 halfway', `the judge's pick "2.5" is not a candidate number: "PICK: 2.5 halfway"`],
    ['PICK: -1 none', `the judge's pick "-1" is not a candidate number: "PICK: -1 none"`],
    ['PICK: #2 smaller', `the judge's pick "#2" is not a candidate number: "PICK: #2 smaller"`],
    ['PICK: 9 nice', 'the judge picked candidate 9, which does not exist (candidates 1, 2, 3): "PICK: 9 nice"'],
    ['PICK: 0 nice', 'the judge picked candidate 0, which does not exist (candidates 1, 2, 3): "PICK: 0 nice"'],
    [
      'PICK: 3 smallest',
      'the judge picked candidate 3, which is not eligible (verify failed: npm test): "PICK: 3 smallest"',
    ],
  ])('%j picks none: %s', (output, reason) => {
    expect(parseJudgeVerdict(output, CANDIDATES)).toEqual({ pick: 'none', reason });
  });
});

describe('lastLine and quote', () => {
  it('lastLine is the last non-empty line, trimmed', () => {
    expect(lastLine('a\n  b  \n\n \r\n')).toBe('b');
    expect(lastLine('')).toBe('');
  });

  it('quote cuts long text, never inside a surrogate pair', () => {
    expect(quote('x'.repeat(200))).toBe(JSON.stringify('x'.repeat(200)));
    expect(quote('x'.repeat(250))).toBe(JSON.stringify(`${'x'.repeat(200)}...`));
    // The 200th UTF-16 unit is the first half of an emoji: the emoji is left out whole.
    const text = `${'x'.repeat(199)}😀${'y'.repeat(10)}`;
    expect(quote(text)).toBe(JSON.stringify(`${'x'.repeat(199)}...`));
  });
});
