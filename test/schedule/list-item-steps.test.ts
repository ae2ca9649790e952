/**
 * Steps written as markdown list items (`- [wait] 1. ...`, `- [ ] 1. ...`) were prose: the
 * schedule had 0 steps and `workflow run` said COMPLETE. They are problems with the fix now,
 * while attribute items under a step and ordinary list items stay as they were.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem, ScheduleSyntaxError } from '../../src/errors.js';
import { parseSchedule } from '../../src/schedule/parse.js';
import { scanSchedule } from '../../src/schedule/scan.js';

function problemsOf(text: string): string[] {
  try {
    parseSchedule(text, 'schedule.md');
  } catch (error) {
    if (error instanceof ScheduleSyntaxError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

describe('a step written as a list item', () => {
  it.each([
    {
      line: '- [wait] 1. scan | glm -- d',
      problem:
        "expected a step line starting in column 0 with its status marker (remove '- '), found a list item '- [wait]'",
    },
    {
      line: '* [done] 2. scan | glm -- d',
      problem:
        "expected a step line starting in column 0 with its status marker (remove '* '), found a list item '* [done]'",
    },
    {
      line: '  - [wait] 1. scan | glm -- d',
      problem:
        "expected a step line starting in column 0 with its status marker (remove '  - '), found a list item '  - [wait]'",
    },
    {
      line: '- [ ] 1. scan | glm -- d',
      problem:
        "expected a step line starting in column 0 with its status marker (write '[wait]' for '- [ ]'), found a list item '- [ ]'",
    },
    {
      line: '- [x] 1. scan | glm -- d',
      problem:
        "expected a step line starting in column 0 with its status marker (write '[done]' for '- [x]'), found a list item '- [x]'",
    },
  ])('$line is a problem that says how to fix it', ({ line, problem }) => {
    const text = `# Schedule: x\n\n${line}\n`;
    expect(problemsOf(text)).toEqual([`schedule.md:3:1: ${problem}`]);
    // The fast scan must not pass over it either.
    expect(scanSchedule(text, 'schedule.md')).toBeUndefined();
  });

  it('leaves attribute items under a step and other list items alone', () => {
    const text = [
      '# Schedule: x',
      '- [ ] review the plan with the team',
      '- [link](https://example.com)',
      '- [note] prose',
      '[wait] 1. a | m -- d',
      '[wait] 2. b | m -- d',
      '  - needs: 1',
      '  - timeout: 30m',
      '',
    ].join('\n');
    const schedule = parseSchedule(text, 'schedule.md');
    expect(schedule.steps.map((step) => step.number)).toEqual([1, 2]);
    expect(schedule.steps[1]?.attributes.needs).toEqual([1]);
  });
});
