/** The planner's last line (`workflow run --goal`): `SELECT: <numbers>`, `SELECT: none <reason>`, or no answer. */
import { describe, expect, it } from 'vitest';
import { parsePlannerAnswer } from '../../src/engine/planner-answer.js';

describe('parsePlannerAnswer', () => {
  it.each([
    { output: 'thinking\nSELECT: 3\n', answer: { kind: 'select', steps: [3] } },
    { output: 'SELECT: 4, 7', answer: { kind: 'select', steps: [4, 7] } },
    { output: 'SELECT: 4 7 4', answer: { kind: 'select', steps: [4, 7] } },
    { output: 'SELECT:2,5,\r\n\r\n   \n', answer: { kind: 'select', steps: [2, 5] } },
    { output: 'SELECT: none nothing to do\n', answer: { kind: 'none', reason: 'nothing to do' } },
    { output: 'SELECT: none', answer: { kind: 'none', reason: '' } },
    { output: 'SELECT: 3\nI picked 3', answer: { kind: 'invalid', line: 'I picked 3' } },
    { output: 'SELECT: 3 and 4', answer: { kind: 'invalid' } },
    { output: 'select: 3', answer: { kind: 'invalid' } },
    { output: 'SELECT:', answer: { kind: 'invalid' } },
    { output: 'SELECT: 0', answer: { kind: 'invalid' } },
    { output: 'SELECT: nonesuch', answer: { kind: 'invalid' } },
    { output: '', answer: { kind: 'invalid', line: '' } },
  ])('$output', ({ output, answer }) => {
    expect(parsePlannerAnswer(output)).toMatchObject(answer);
  });
});
