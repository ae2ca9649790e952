/**
 * Attributes of best of N that do not go together (issue 20): `blocks:` with `candidates:` on
 * one step, `judge:` without `candidates:`. Pure parsing; `workflow check` shows the same
 * problems (test/engine/candidates-preflight.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { formatProblem, ScheduleSyntaxError } from '../../src/errors.js';
import { parseSchedule } from '../../src/schedule/parse.js';

/** The problems `parseSchedule` throws for `lines`, formatted as the CLI prints them. */
function problems(...lines: string[]): string[] {
  try {
    parseSchedule([...lines, ''].join('\n'));
  } catch (error) {
    if (error instanceof ScheduleSyntaxError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

describe('candidates: with other attributes', () => {
  it('refuses blocks: with candidates: on the step line, whichever comes first', () => {
    const expected =
      "schedule.md:2:1: expected either 'blocks:' or 'candidates:' on a step, not both, found step 2 with blocks: a, b and candidates: 3";
    expect(problems('[wait] 1. a | m -- d', '[wait] 2. b | m -- d', '  - blocks: a, b', '  - candidates: 3')).toEqual([
      expected,
    ]);
    expect(problems('[wait] 1. a | m -- d', '[wait] 2. b | m -- d', '  - candidates: 3', '  - blocks: a, b')).toEqual([
      expected,
    ]);
  });

  it('refuses judge: without candidates: on the judge line, at its value', () => {
    expect(problems('[wait] 1. a | m -- d', '  - needs: none', '  - judge: smallest')).toEqual([
      "schedule.md:3:12: expected 'judge:' only on a step with 'candidates:', found judge: smallest on step 1, which has no candidates",
    ]);
  });

  it('lists these problems with the others, in file order', () => {
    expect(
      problems(
        '[wait] 1. a | m -- d',
        '  - judge: first',
        '[wait] 2. b | m -- d',
        '  - timeout: soon',
        '[wait] 3. c | m -- d',
        '  - candidates: 2',
        '  - blocks: x',
      ).map((problem) => problem.split(': expected')[0]),
    ).toEqual(['schedule.md:2:12', 'schedule.md:4:14', 'schedule.md:5:1']);
  });

  it('accepts candidates: with judge:, verify:, retries: and isolation:, and candidates: alone', () => {
    const schedule = parseSchedule(
      [
        '[wait] 1. a | opus,codex -- d',
        '  - candidates: 4',
        '  - judge: codex-high',
        '  - verify: npm test',
        '  - retries: 1',
        '  - isolation: none',
        '[wait] 2. b | m -- d',
        '  - candidates: 2',
        '',
      ].join('\n'),
    );
    expect(schedule.steps.map((step) => [step.attributes.candidates, step.attributes.judge])).toEqual([
      [4, 'codex-high'],
      [2, undefined],
    ]);
  });
});
