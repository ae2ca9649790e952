/**
 * The `outputs:` attribute (issue 21, item 3): one path or glob per item, repeatable, relative to
 * the working tree; absolute paths, `..`, negated globs, the tree itself and `outputs:` with
 * `blocks:` are refused when the schedule is read, and `workflow check` says so with exit 2.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScheduleSyntaxError } from '../../src/errors.js';
import { parseSchedule } from '../../src/schedule/parse.js';
import { hashFile, makePlanspace, runWorkflow } from '../helpers.js';

function problemsOf(text: string) {
  try {
    parseSchedule(text);
  } catch (error) {
    if (error instanceof ScheduleSyntaxError) return error.problems;
    throw error;
  }
  return [];
}

describe('outputs:', () => {
  it('keeps every outputs: of a step, in order, each as written (a glob may hold commas)', () => {
    const text = [
      '[wait] 1. a | m -- d',
      '  - outputs: dist/app.js',
      '  - retries: 1',
      '  - outputs: docs/{a,b}/*.md  ',
      '  - outputs: ./report.txt',
      '',
    ].join('\n');
    expect(parseSchedule(text).steps[0]?.attributes).toEqual({
      outputs: ['dist/app.js', 'docs/{a,b}/*.md', './report.txt'],
      retries: 1,
    });
  });

  it.each([
    { value: '/etc/passwd', column: 14, found: "the absolute path '/etc/passwd'" },
    { value: '~/notes.md', column: 14, found: "the absolute path '~/notes.md'" },
    { value: 'C:\\out.txt', column: 14, found: "the absolute path 'C:\\out.txt'" },
    { value: '../elsewhere.txt', column: 14, found: "'..', which leaves the working tree" },
    { value: 'dist/../../x', column: 19, found: "'..', which leaves the working tree" },
    { value: 'dist\\..\\..\\x', column: 19, found: "'..', which leaves the working tree" },
    { value: '!dist/*.map', column: 14, found: "the negated glob '!dist/*.map'" },
    { value: '.', column: 14, found: "'.', the working tree itself" },
    { value: './', column: 14, found: "'./', the working tree itself" },
    { value: '', column: 13, found: 'nothing' },
    { value: 'a\u0001b', column: 15, found: '\\x01' },
  ])('refuses $value at column $column', ({ value, column, found }) => {
    const problems = problemsOf(`[wait] 1. a | m -- d\n  - outputs: ${value}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 2, column, found });
  });

  it('refuses outputs: on a step with blocks:, in either order', () => {
    for (const [first, second] of [
      ['outputs: a.txt', 'blocks: x, y'],
      ['blocks: x, y', 'outputs: a.txt'],
    ]) {
      const problems = problemsOf(`[wait] 1. a | m -- d\n  - ${first}\n  - ${second}\n`);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ line: 3, column: 5 });
      expect(problems[0]?.expected).toContain("'outputs:' on a step without 'blocks:'");
    }
  });

  it('workflow check refuses bad outputs: values with exit 2, every one named, the schedule untouched', async () => {
    const plan = await makePlanspace(
      [
        '[wait] 1. a | m -- d',
        '  - outputs: dist/app.js',
        '  - outputs: /tmp/x',
        '[wait] 2. b | m -- d',
        '  - outputs: ../up.txt',
        '',
      ].join('\n'),
    );
    const schedule = join(plan, 'schedule.md');
    const before = await hashFile(schedule);
    const result = await runWorkflow(['check', plan]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(`${schedule}:3:14: expected a path or glob inside the working tree`);
    expect(result.stdout).toContain("found the absolute path '/tmp/x'");
    expect(result.stdout).toContain(`${schedule}:5:14:`);
    expect(result.stdout).toContain("found '..', which leaves the working tree");
    expect(await hashFile(schedule)).toBe(before);
    const good = await makePlanspace('[wait] 1. a | m -- d\n  - outputs: dist/*.js\n');
    expect(await runWorkflow(['check', good])).toMatchObject({ code: 0 });
  });
});
