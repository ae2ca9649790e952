/**
 * `addStepToText` (issue 21): a step added at the end of a plain schedule is checked on its own
 * lines only (the scan's fast path); it must give exactly what the full parse of the whole new
 * text gives, problems and their positions included.
 */
import { describe, expect, it } from 'vitest';
import { ScheduleSyntaxError } from '../../src/errors.js';
import { addStepToText, type AddRequest } from '../../src/schedule/add.js';
import { parseSchedule } from '../../src/schedule/parse.js';

const PLAIN = ['# Schedule: plain', '', '[done] 1. a | m -- x', '[run] 4. b | m -- y (implement.md Stage 2)', ''].join(
  '\n',
);
/** The same steps after a fenced block, which the scan does not take: the full parse runs. */
const FENCE = '```\n[note]\n```\n';

/** The outcome of an add: the step (line made relative to the schedule's start), or the problems. */
function outcome(text: string, request: AddRequest, shift: number): unknown {
  try {
    const { text: added, step } = addStepToText(text, 'schedule.md', request);
    // The written text parses, and holds the step exactly as reported.
    expect(parseSchedule(added).steps.find((each) => each.number === step.number)).toEqual(step);
    return { ...step, line: step.line - shift, offset: step.offset - (text.length - PLAIN.length) };
  } catch (error) {
    if (!(error instanceof ScheduleSyntaxError)) throw error;
    return error.problems.map((problem) => ({ ...problem, line: problem.line - shift }));
  }
}

describe('addStepToText at the end of a plain schedule', () => {
  it.each<[string, AddRequest]>([
    ['a plain step', { line: 'c | m -- z' }],
    ['a step with a ref', { line: 'c | m,n -- z (implement.md Stage 5)' }],
    ['needs of existing steps', { line: 'c | m -- z', attributes: [['needs', '1, 4']] }],
    ['needs of a missing step', { line: 'c | m -- z', attributes: [['needs', '1, 3']] }],
    ['needs of itself', { line: 'c | m -- z', attributes: [['needs', '5']] }],
    ['needs none', { line: 'c | m -- z', attributes: [['needs', 'none']] }],
    ['a bad needs list', { line: 'c | m -- z', attributes: [['needs', '01, x']] }],
    ['added-by', { line: 'c | m -- z', addedBy: 4 }],
    ['added-by a missing step', { line: 'c | m -- z', addedBy: 9 }],
    ['a bad model', { line: 'c | m n -- z' }],
    ['no description separator', { line: 'c | m z' }],
    [
      'several attributes',
      {
        line: 'c | m -- z',
        attributes: [
          ['timeout', '5m'],
          ['verify', 'npm test'],
          ['when', 'always'],
        ],
      },
    ],
    [
      'a bad attribute',
      {
        line: 'c | m -- z',
        attributes: [
          ['timeout', 'soon'],
          ['colour', 'red'],
        ],
      },
    ],
  ])('%s: the same as the full parse', (_, request) => {
    const fast = outcome(PLAIN, request, 0);
    const full = outcome(`${FENCE}${PLAIN}`, request, 3);
    expect(fast).toEqual(full);
  });

  it('starts the step on a line of its own after a last line without a break', () => {
    const { text, step } = addStepToText('[wait] 1. a | m -- x', 'schedule.md', { line: 'b | m -- y' });
    expect(text).toBe('[wait] 1. a | m -- x\n[wait] 2. b | m -- y\n');
    expect(step).toMatchObject({ line: 2, offset: 21, number: 2 });
  });
});
