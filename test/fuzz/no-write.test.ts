/**
 * Never a write after an error: hundreds of bad schedules, and verbs that must fail on good
 * ones, against real files. Each call must throw a documented error and leave `schedule.md`
 * as it was (same bytes, same inode: not even rewritten with the same bytes) and the
 * planspace folder holding nothing else (no lock, no temporary file).
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanspaceError, ScheduleSyntaxError } from '../../src/errors.js';
import { decodeSchedule } from '../../src/schedule/decode.js';
import { markStep, markStepAndTakeNext, nextStep, retryStep, takeSteps } from '../../src/schedule/operations.js';
import { parseSchedule } from '../../src/schedule/parse.js';
import { makePlanspace } from '../helpers.js';
import { corrupt, hostileText } from './arbitraries.js';

/** Cases per property: each does real file I/O and takes the lock. */
const IO_RUNS = 250;

/** A good schedule of 1 to 6 steps; statuses chosen so that every verb has work to do. */
const goodLines = fc
  .array(fc.constantFrom('wait', 'run', 'done', 'fail', 'skip'), { minLength: 1, maxLength: 6 })
  .map((statuses) => [
    '# Schedule: fuzz',
    '',
    ...statuses.map((status, index) => `[${status}] ${index + 1}. s${index + 1} | m -- step (skill.md)`),
  ]);

/** One defect, placed at a random line of a good schedule. */
const defect = fc.oneof(
  corrupt(fc.constant('[wait] 9. x | m -- d')).filter((line) => /^\[[A-Za-z]*\](?!:)/.test(line)),
  fc.constantFrom(
    '[wait] 1. again | m -- duplicate number',
    '[wiat] 8. x | m -- d',
    '[wait] 8. x | m,, -- d',
    '[wait] 8. x | m -- d (',
    '[wait] 08. x | m -- d',
    '[wait] 99999999999999999. x | m -- d',
  ),
  fc
    .tuple(
      fc.constantFrom('needs', 'when', 'retries', 'timeout', 'colour', 'blocks'),
      fc.oneof(hostileText(8), fc.constantFrom('99', '0s', '999999999999h', 'sometimes', 'a,a')),
    )
    .map(([key, value]) => `[wait] 8. x | m -- d\n  - ${key}: ${value.replace(/[\r\n]/g, '')}`),
);

/** Bytes of a schedule that does not parse, or is not text at all. */
const badSchedule = fc
  .oneof(
    fc.tuple(goodLines, defect, fc.nat(), fc.constantFrom('\n', '\r\n')).map(([lines, line, at, eol]) => {
      const copy = [...lines];
      copy.splice(2 + (at % (copy.length - 1)), 0, line);
      return Buffer.from(`${copy.join(eol)}${eol}`);
    }),
    fc.tuple(goodLines, fc.nat(), fc.constantFrom(0x00, 0xc3, 0xff, 0x80)).map(([lines, at, byte]) => {
      const buffer = Buffer.from(`${lines.join('\n')}\n`);
      buffer[at % buffer.length] = byte;
      return buffer;
    }),
  )
  .filter((bytes) => {
    try {
      parseSchedule(decodeSchedule(bytes, 'schedule.md'));
      return false;
    } catch (error) {
      if (error instanceof ScheduleSyntaxError) return true;
      throw error;
    }
  });

type Verb = (planspace: string) => Promise<unknown>;

const anyVerb = fc.constantFrom<[string, Verb]>(
  ['next', (p) => nextStep(p)],
  ['done', (p) => markStep(p, 'done')],
  ['fail 1', (p) => markStep(p, 'fail', 1)],
  ['skip 2', (p) => markStep(p, 'skip', 2)],
  ['retry', (p) => retryStep(p)],
  ['mark and take', (p) => markStepAndTakeNext(p, 'done', 1)],
  ['take all', (p) => takeSteps(p)],
);

/** Writes `bytes` as the schedule, runs `verb`, and checks the error and that nothing changed. */
async function expectNoWrite(planspace: string, bytes: Buffer, verb: Verb, codes: readonly string[]): Promise<void> {
  const path = join(planspace, 'schedule.md');
  await writeFile(path, bytes);
  const before = await stat(path);
  const error: unknown = await verb(planspace).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (error === undefined) throw new Error('the verb succeeded, but it had to fail');
  if (!(error instanceof PlanspaceError)) throw error as Error;
  expect(codes).toContain(error.code);
  expect((await readFile(path)).equals(bytes)).toBe(true);
  expect((await stat(path)).ino).toBe(before.ino);
  expect(await readdir(planspace)).toEqual(['schedule.md']);
}

describe('fuzz: never a write after an error', () => {
  it('every mutating verb refuses a bad schedule and leaves the folder as it was', async () => {
    const planspace = await makePlanspace('');
    await fc.assert(
      fc.asyncProperty(badSchedule, anyVerb, async (bytes, [, verb]) => {
        await expectNoWrite(planspace, bytes, verb, ['E_SCHEDULE_INVALID']);
      }),
      { numRuns: IO_RUNS },
    );
  });

  it('a verb with no step to act on fails with E_NO_STEP and writes nothing', async () => {
    const planspace = await makePlanspace('');
    const statuses = fc.array(fc.constantFrom('wait', 'done', 'skip'), { minLength: 1, maxLength: 6 });
    // Each verb names a step that does not exist, or needs a status no step has.
    const failing = fc.constantFrom<[string, (steps: number) => Verb]>(
      ['done N+1', (n) => (p) => markStep(p, 'done', n + 1)],
      ['fail 0', () => (p) => markStep(p, 'fail', 0)],
      ['done without [run]', () => (p) => markStep(p, 'done')],
      ['retry without [fail]', () => (p) => retryStep(p)],
      ['retry N+7', (n) => (p) => retryStep(p, n + 7)],
      ['mark and take N+1', (n) => (p) => markStepAndTakeNext(p, 'skip', n + 1)],
      ['take, settling N+2', (n) => (p) => takeSteps(p, { settle: { number: n + 2, status: 'done' } })],
    );
    await fc.assert(
      fc.asyncProperty(statuses, failing, fc.constantFrom('\n', '\r\n'), async (list, [, verb], eol) => {
        const lines = list.map((status, index) => `[${status}] ${index + 1}. s | m -- d`);
        const bytes = Buffer.from(`# Schedule${eol}${lines.join(eol)}${eol}`);
        await expectNoWrite(planspace, bytes, verb(list.length), ['E_NO_STEP']);
      }),
      { numRuns: IO_RUNS },
    );
  });
});
