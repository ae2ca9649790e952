/**
 * The scan behind `status`, `next` and `done` (issue 11, point 3): wherever it accepts a
 * schedule, it sees exactly the steps `parseSchedule` sees, and the verbs decide exactly as
 * the full parser and planner do; everything else (problems above all) goes to
 * `parseSchedule`, so that errors stay the same.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScheduleSyntaxError } from '../../src/errors.js';
import { withStatus } from '../../src/schedule/mutate.js';
import { markStep, nextStep, scheduleStatus } from '../../src/schedule/operations.js';
import { parseSchedule } from '../../src/schedule/parse.js';
import { planNext } from '../../src/schedule/plan.js';
import { scanSchedule } from '../../src/schedule/scan.js';
import { countStatuses, STEP_STATUSES } from '../../src/schedule/step.js';
import { corrupt, hostileText, PURE_RUNS } from '../fuzz/arbitraries.js';
import { makePlanspace } from '../helpers.js';

/** Descriptions and refs built from the pieces the step patterns turn on. */
const tail = fc
  .array(fc.constantFrom(' ', '\t', '--', ' -- ', '(', ')', ' (', 'a', 'b c', '|', '\u2028'), { maxLength: 8 })
  .map((pieces) => pieces.join(''));

const stepLine = fc
  .tuple(fc.constantFrom(...STEP_STATUSES), fc.integer({ min: 1, max: 12 }), fc.oneof(hostileText(16), tail))
  .map(([status, number, text]) => `[${status}] ${number}. s${number} | m,n -- ${text.replace(/[\r\n]/g, '')}`);

/** Lines of all kinds: steps, near misses, attributes, prose, indented markers, odd breaks. */
const anyLine = fc.oneof(
  { weight: 4, arbitrary: stepLine },
  { weight: 3, arbitrary: corrupt(stepLine) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '# Schedule: x',
      '',
      'prose',
      '  - needs: none',
      '  - timeout: 5m',
      '   indented prose',
      '  [wait] 9. x | m -- indented',
      '[link]: /x',
      '[note] not a step',
      '[wait]x',
      '```',
      '\ufeff# x',
      '[wait] 3. a | m -- b\u2028[wait] 4. c | m -- d',
      `[wait] 5. long | m -- ${'x'.repeat(1100)}`,
    ),
  },
  { weight: 1, arbitrary: hostileText(30) },
);

const schedule = fc
  .tuple(fc.array(anyLine, { maxLength: 14 }), fc.boolean())
  .map(([lines, final]) => lines.join('\n') + (final ? '\n' : ''));

function parsed(text: string) {
  try {
    return parseSchedule(text, 'scan.md');
  } catch (error) {
    if (error instanceof ScheduleSyntaxError) return error;
    throw error;
  }
}

describe('scanSchedule', () => {
  it('accepts only what parseSchedule accepts, and sees the same steps', () => {
    let scanned = 0;
    fc.assert(
      fc.property(schedule, (text) => {
        const scan = scanSchedule(text, 'scan.md');
        if (!scan) return;
        scanned += 1;
        const full = parsed(text);
        expect(full).not.toBeInstanceOf(ScheduleSyntaxError);
        if (full instanceof ScheduleSyntaxError) return;
        expect(scan.statuses).toEqual(full.steps.map((step) => step.status));
        expect(scan.numbers).toEqual(full.steps.map((step) => step.number));
        expect(full.steps.map((_, index) => scan.step(index))).toEqual(full.steps);
      }),
      { numRuns: PURE_RUNS },
    );
    // The property says nothing if the scan always gave up.
    expect(scanned).toBeGreaterThan(PURE_RUNS / 20);
  });

  it.each([
    ['a problem', '[wait] 1. a | m -- b\n[wiat] 2. c | m -- d\n'],
    ['attributes', '[wait] 1. a | m -- b\n  - needs: none\n'],
    ['a carriage return', '[wait] 1. a | m -- b\r\n'],
    ['a fence', '```\n[wait] 1. a | m -- b\n```\n'],
    ['a repeated step number', '[wait] 2. a | m -- b\n[wait] 1. c | m -- d\n[wait] 2. e | m -- f\n'],
    ['an indented marker', 'x\n [wait] 1. a | m -- b\n'],
    ['a step line of the uncommon shape', '[wait] 1. a | m -- b --  (r)\n'],
    ['a byte order mark', '\ufeff[wait] 1. a | m -- b\n'],
    ['a step line longer than 1024', `[wait] 1. a | m -- ${'b'.repeat(1024)}\n`],
  ])('leaves a schedule with %s to parseSchedule', (_, text) => {
    expect(scanSchedule(text, 'scan.md')).toBeUndefined();
  });

  it.each([
    ['a line break U+2028 in its description', '[wait] 1. a | m -- b\u2028c (r)\n[done] 2. d | m -- e\u2028\n'],
    ['a description ending in -- and a ref alone', '[wait] 1. a | m -- b -- (r)\n[wait] 2. a | m -- (r)\n'],
  ])('reads a schedule with %s as parseSchedule does', (_, text) => {
    const full = parseSchedule(text, 'scan.md');
    const scan = scanSchedule(text, 'scan.md');
    expect(full.steps.map((__, index) => scan?.step(index))).toEqual(full.steps);
  });

  it('reads a plain 10,000-step schedule, numbers out of order included', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `[done] ${10_000 - i}. s | glm -- d (r.md)`);
    const scan = scanSchedule(`# Schedule\n\n${lines.join('\n')}\n`, 'scan.md');
    expect(scan?.numbers.length).toBe(10_000);
    expect(scan?.step(9_999)).toMatchObject({ line: 10_002, number: 1, status: 'done', ref: 'r.md' });
  });
});

describe('status, next and done on plain schedules', () => {
  const plain = fc
    .array(fc.constantFrom(...STEP_STATUSES), { minLength: 1, maxLength: 8 })
    .map((statuses) => statuses.map((status, i) => `[${status}] ${i + 1}. s${i + 1} | m -- step ${i + 1}`));

  it('decide as the full parser and planner do', async () => {
    await fc.assert(
      fc.asyncProperty(plain, async (lines) => {
        const text = `# Schedule: plain\n\n${lines.join('\n')}\n`;
        const full = parseSchedule(text);
        expect(scanSchedule(text, 'schedule.md')).toBeDefined();
        const planspace = await makePlanspace(text);
        expect(await scheduleStatus(planspace)).toEqual(countStatuses(full.steps));

        const decision = planNext(full.steps);
        const outcome = await nextStep(planspace);
        const kind = { start: 'started', resume: 'resumed', blocked: 'blocked', complete: 'complete' }[decision.kind];
        expect(outcome.kind).toBe(kind);
        if ('step' in decision && 'step' in outcome) {
          expect(outcome.step).toEqual(decision.kind === 'start' ? withStatus(decision.step, 'run') : decision.step);
        }

        const after = await readFile(join(planspace, 'schedule.md'), 'utf8');
        const running = parseSchedule(after).steps.find((step) => step.status === 'run');
        if (!running) {
          await expect(markStep(planspace, 'done')).rejects.toThrow('no [run] step to mark done');
          return;
        }
        const change = await markStep(planspace, 'done');
        expect(change.before).toEqual(running);
        expect(await readFile(join(planspace, 'schedule.md'), 'utf8')).toBe(
          `${after.slice(0, running.offset)}[done]${after.slice(running.offset + 5)}`,
        );
      }),
      { numRuns: 40 },
    );
  });
});
