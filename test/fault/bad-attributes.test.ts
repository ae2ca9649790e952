/**
 * Refused schedules of the bad-input corpus, part 2: attributes and structure (huge durations,
 * retries and needs, block names that are paths, a needs cycle, duplicate numbers, a misspelt
 * key), and question records that are torn or whose id is a path. Every verb exits 2 naming
 * the file and line and touches no file (see `refused.ts`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inPool, makeSandbox, snapshot } from './sandbox.js';
import { CORPUS, expectRefused, type Refused } from './refused.js';

const REFUSED: readonly Refused[] = [
  { file: 'huge-duration.md', lines: [4] },
  { file: 'huge-retries.md', lines: [4] },
  { file: 'huge-needs.md', lines: [5] },
  { file: 'block-traversal.md', lines: [4] },
  { file: 'needs-cycle.md', lines: [4] },
  { file: 'duplicate-numbers.md', lines: [4] },
  { file: 'unknown-attribute.md', lines: [4] },
];

describe('refused schedules: exit 2, the line to blame, and no file touched', () => {
  it.each(REFUSED)('$file', expectRefused);
});

/** Question records (`questions/q1.json`) that are not what the engine writes. */
const BAD_QUESTIONS = [
  { file: 'question-torn.json', reason: /questions\/q1\.json: not a question record: .*JSON/ },
  { file: 'question-id-traversal.json', reason: /questions\/q1\.json: not a question record: its id is not 'q1'/ },
];

describe('refused question records: exit 2 naming the file, and no file touched', () => {
  it.each(BAD_QUESTIONS)('$file', async ({ file, reason }) => {
    const schedule = '# Schedule: questions\n\n[wait] 1. plan | m -- write the plan\n';
    const box = await makeSandbox(schedule, { 'plan/questions/q1.json': await readFile(join(CORPUS, file)) });
    const before = await snapshot(box.root);
    const verbs = [
      ['questions', box.planspace],
      ['answer', box.planspace, 'an answer'],
      ['answer', box.planspace, '--id', '../../evil', 'an answer'],
      ['report', box.planspace],
      ['run', box.planspace, ...box.sources],
    ];
    const results = await inPool(
      4,
      verbs.map((args) => () => box.workflow(args)),
    );
    results.forEach((result, index) => {
      const what = (verbs[index] ?? []).join(' ');
      expect(result, what).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr, what).toMatch(reason);
      expect(result.stderr.trim().split('\n'), what).toHaveLength(1);
    });
    expect(await snapshot(box.root)).toEqual(before);
  });
});
