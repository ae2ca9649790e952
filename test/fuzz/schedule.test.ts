/**
 * Fuzzing the schedule grammar with hostile input: arbitrary text and bytes, near-miss step
 * lines, mixed line endings and very long lines. Every call returns a well-formed result or
 * throws `ScheduleSyntaxError`; whatever parses formats back byte for byte; a mutation keeps
 * every other line byte for byte. (The round trip of well-formed schedules is in
 * test/schedule/roundtrip.test.ts; here the input is mostly not well-formed.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScheduleSyntaxError } from '../../src/errors.js';
import { decodeSchedule } from '../../src/schedule/decode.js';
import { formatSchedule, formatStep } from '../../src/schedule/format.js';
import { setStepStatus, setStepStatuses } from '../../src/schedule/mutate.js';
import { isStepCandidate, parseSchedule, parseStepLine } from '../../src/schedule/parse.js';
import { planNext, planSteps } from '../../src/schedule/plan.js';
import { STEP_STATUSES, type Schedule } from '../../src/schedule/step.js';
import {
  corrupt,
  hostileText,
  joinLines,
  lineEnding,
  LONG_RUNS,
  longRun,
  PURE_RUNS,
  returnsOrThrows,
} from './arbitraries.js';

const SYNTAX = 'E_SCHEDULE_INVALID';

/** A step line built from the grammar's pieces, each piece sometimes replaced by a near miss. */
const nearMissStep = corrupt(
  fc
    .tuple(
      fc.constantFrom('', '', '', '', '', ' ', '\t', '    '),
      fc.constantFrom('[wait]', '[run]', '[done]', '[fail]', '[skip]', '[WAIT]', '[]', '[x]', '[wait]:', '[wait'),
      fc.constantFrom(' ', '', '  ', '\t'),
      fc.constantFrom('1', '2', '3', '42', '0', '01', '9007199254740991', '9007199254740992', '1e3', '-1', ''),
      fc.constantFrom('. ', '.', ' ', '.  '),
      fc.oneof(fc.constantFrom('scan', 'a b', ' x', 'x ', '', 'a|b'), hostileText(12)),
      fc.constantFrom(' | ', '|', ' |', ' |  '),
      fc.constantFrom('glm', 'a,b', 'a,,b', ',', '', 'a b', 'é', 'a'.repeat(65)),
      fc.constantFrom(' -- ', '--', ' --', ' --  ', ' -- -- '),
      fc.oneof(fc.constantFrom('d', 'a (b) c', '(', ')', '(()', ''), hostileText(20)),
      fc.constantFrom('', ' (implement.md Stage 1)', '(x)', ' ()', ' ( )', ' ((a)', ' (a))', ' (a)\t', ' (a) '),
    )
    .map((pieces) => pieces.join('')),
);

const validStep = fc
  .tuple(fc.constantFrom(...STEP_STATUSES), fc.integer({ min: 1, max: 30 }), hostileText(20))
  .map(([status, number, text]) => `[${status}] ${number}. s${number} | m -- ${text.replace(/[\r\n()]/g, '')}`);

const attributeLine = fc
  .tuple(
    fc.constantFrom('  - ', '\t* ', ' + ', '  -', '    - '),
    fc.constantFrom('needs', 'when', 'blocks', 'retries', 'backoff', 'timeout', 'stall', 'colour', ''),
    fc.constantFrom(': ', ':', ' : ', ':\t'),
    fc.oneof(fc.constantFrom('1', 'none', '30m', '5s', 'always', 'a, b', '101', '1, 1'), hostileText(12)),
  )
  .map((pieces) => pieces.join(''));

const fence = fc
  .tuple(fc.constantFrom('```', '~~~', '````md', '> ```', '- ```', '  ```'), fc.array(nearMissStep, { maxLength: 2 }))
  .map(([open, body]) => [open, ...body, ...(body.length === 1 ? [] : [open.replace(/[^`~]/g, '')])]);

/** One or more lines of a hostile schedule. */
const lines = fc.oneof(
  { weight: 3, arbitrary: nearMissStep.map((line) => [line]) },
  { weight: 3, arbitrary: validStep.map((line) => [line]) },
  { weight: 2, arbitrary: attributeLine.map((line) => [line]) },
  { weight: 2, arbitrary: hostileText(40).map((line) => [line]) },
  { weight: 1, arbitrary: fc.constantFrom(['# Schedule: x'], [''], ['\ufeff# x'], ['[link]: /x']) },
  { weight: 1, arbitrary: fence },
);

/** A whole hostile schedule, lines joined with mixed line endings. */
const hostileSchedule = fc
  .tuple(fc.array(lines, { maxLength: 20 }), fc.array(lineEnding, { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([groups, endings, final]) => joinLines(groups.flat(), endings, final));

/** Parses `text`; a success is checked for the byte-exact round trip, an error for its positions. */
function checkParse(text: string): Schedule | ScheduleSyntaxError {
  const outcome = returnsOrThrows(() => parseSchedule(text, 'fuzz.md'), ScheduleSyntaxError, SYNTAX);
  const lineCount = text.split('\n').length;
  if (outcome instanceof ScheduleSyntaxError) {
    expect(outcome.problems.length).toBeGreaterThan(0);
    for (const problem of outcome.problems) {
      expect(problem.file).toBe('fuzz.md');
      expect(problem.line).toBeGreaterThanOrEqual(1);
      expect(problem.line).toBeLessThanOrEqual(lineCount);
      expect(problem.column).toBeGreaterThanOrEqual(1);
    }
    return outcome;
  }
  const schedule = outcome;
  expect(formatSchedule(schedule)).toBe(text);
  for (const step of schedule.steps) {
    expect(text.slice(step.offset, step.offset + step.text.length)).toBe(step.text);
    expect(formatStep(step)).toBe(step.text);
    expect(isStepCandidate(step.text)).toBe(true);
  }
  expect(new Set(schedule.steps.map((step) => step.number)).size).toBe(schedule.steps.length);
  // DESIGN.md §2: a line starting with a marker-like `[word]` is a step or an error, never
  // prose; a status marker after spaces or tabs is an error, never silently dropped (issue
  // 10). (Without fences only: inside one, such a line is prose, and finding fences needs a
  // markdown parser.)
  if (!text.includes('```') && !text.includes('~~~')) {
    const stepLines = new Set(schedule.steps.map((step) => step.line));
    text.split('\n').forEach((line, index) => {
      if (/^\[[A-Za-z]+\](?!:)/.test(line)) expect(stepLines.has(index + 1)).toBe(true);
      expect(line).not.toMatch(/^[ \t]+\[(wait|run|done|fail|skip)\](?!:)/i);
    });
  }
  return schedule;
}

describe('fuzz: one step line', () => {
  it('parseStepLine never throws: a step that formats back to the line, or one problem inside it', () => {
    const line = fc.oneof(nearMissStep, hostileText(60)).map((text) => text.replace(/\n/g, ''));
    fc.assert(
      fc.property(line, (text) => {
        const result = parseStepLine(text);
        if (result.ok) {
          expect(result.step.text).toBe(text);
          expect(formatStep(result.step)).toBe(text);
          expect(Number.isSafeInteger(result.step.number) && result.step.number > 0).toBe(true);
        } else {
          expect(result.problems).toHaveLength(1);
          expect(result.problems[0]?.column).toBeGreaterThanOrEqual(1);
          expect(result.problems[0]?.column).toBeLessThanOrEqual(text.length + 1);
        }
      }),
      { numRuns: PURE_RUNS },
    );
  });
});

describe('fuzz: whole schedules', () => {
  it('parse returns a schedule that formats back byte for byte, or a ScheduleSyntaxError', () => {
    let parsed = 0;
    fc.assert(
      fc.property(hostileSchedule, (text) => {
        const outcome = checkParse(text);
        if (!(outcome instanceof ScheduleSyntaxError)) {
          parsed += 1;
          // The planner accepts whatever the parser accepts.
          planSteps(outcome.steps);
          planNext(outcome.steps);
        }
      }),
      { numRuns: PURE_RUNS },
    );
    console.log(`schedule fuzz: ${parsed} of ${PURE_RUNS} hostile schedules parsed`);
    // Both sides of the property must be exercised, or it proves nothing.
    expect(parsed).toBeGreaterThan(PURE_RUNS / 20);
    expect(parsed).toBeLessThan(PURE_RUNS);
  });

  it('a mutation of a parsed hostile schedule keeps every other line byte for byte', () => {
    const parsedSchedule = hostileSchedule
      .map((text) => {
        try {
          return parseSchedule(text);
        } catch (error) {
          // Unparsable schedules are the previous property's subject; here they are skipped.
          if (error instanceof ScheduleSyntaxError) return undefined;
          throw error;
        }
      })
      .filter((schedule): schedule is Schedule => schedule !== undefined && schedule.steps.length > 0);
    fc.assert(
      fc.property(
        parsedSchedule,
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...STEP_STATUSES)), { minLength: 1, maxLength: 4 }),
        (schedule, picks) => {
          const changes = new Map(
            picks.map(([pick, status]) => [schedule.steps[pick % schedule.steps.length], status] as const),
          );
          const changed = setStepStatuses(
            schedule.text,
            [...changes].flatMap(([step, status]) => (step ? [{ step, status }] : [])),
          );
          const before = schedule.text.split('\n');
          const after = changed.split('\n');
          expect(after).toHaveLength(before.length);
          const touched = new Map([...changes].map(([step, status]) => [(step?.line ?? 0) - 1, { step, status }]));
          before.forEach((line, index) => {
            const change = touched.get(index);
            if (!change?.step) expect(after[index]).toBe(line);
            else expect(after[index]).toBe(`[${change.status}]${line.slice(change.step.status.length + 2)}`);
          });
          const reparsed = parseSchedule(changed);
          expect(reparsed.steps.map((step) => [step.number, step.status])).toEqual(
            schedule.steps.map((step) => [step.number, changes.get(step) ?? step.status]),
          );
          const [first] = schedule.steps;
          if (first) expect(setStepStatus(schedule.text, first, first.status)).toBe(schedule.text);
        },
      ),
      { numRuns: PURE_RUNS / 3 },
    );
  });
});

describe('fuzz: schedule bytes', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    hostileSchedule.map((text) => new Uint8Array(Buffer.from(text))),
    // Valid text with a few bytes overwritten: truncated sequences, stray continuation bytes, NUL.
    fc
      .tuple(
        hostileSchedule,
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x00, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf8, 0xff))),
      )
      .map(([text, edits]) => {
        const buffer = Buffer.from(text.length === 0 ? 'x' : text);
        for (const [at, byte] of edits) buffer[at % buffer.length] = byte;
        return new Uint8Array(buffer);
      }),
  );

  it('decode returns the text of exactly these bytes, or a ScheduleSyntaxError iff they are not UTF-8 text', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(bytes, (input) => {
        let expected: string | undefined;
        try {
          expected = input.includes(0) ? undefined : fatal.decode(input);
        } catch (error) {
          // The oracle: a TypeError from a fatal TextDecoder means the bytes are not UTF-8.
          if (!(error instanceof TypeError)) throw error;
          expected = undefined;
        }
        const outcome = returnsOrThrows(() => decodeSchedule(input, 'raw.md'), ScheduleSyntaxError, SYNTAX);
        if (outcome instanceof ScheduleSyntaxError) {
          expect(expected).toBeUndefined();
          const lineCount = Buffer.from(input).toString('latin1').split('\n').length;
          expect(outcome.problems.length).toBeGreaterThan(0);
          for (const problem of outcome.problems) {
            expect(problem.line).toBeLessThanOrEqual(lineCount);
            expect(problem.column).toBeGreaterThanOrEqual(1);
          }
          return;
        }
        const text = outcome;
        expect(text).toBe(expected);
        expect(Buffer.from(text).equals(Buffer.from(input))).toBe(true);
        const schedule = checkParse(text);
        if (!(schedule instanceof ScheduleSyntaxError)) {
          expect(Buffer.from(formatSchedule(schedule)).equals(Buffer.from(input))).toBe(true);
        }
      }),
      { numRuns: PURE_RUNS },
    );
  });
});

describe('fuzz: very long lines (catastrophic backtracking)', () => {
  const step = (middle: string): string => `[wait] 1. a | m -- ${middle}`;
  const long = fc.oneof(
    longRun([' ', ' \t', 'd ', '( ', ') ', '((', '))', ' | ', ' -- ', '-- ', 'a,', '\r', ' (x) ']).map(step),
    longRun([' ', 'a ', ' | ', '|', ' --']).map((run) => `[wait] 1. ${run} | m -- d`),
    longRun(['a,', 'a.b,', ',', 'a ']).map((run) => `[wait] 1. n | ${run} -- d`),
    longRun(['9', '0']).map((run) => `[wait] ${run}. n | m -- d`),
    longRun([' ', ' x', '\t ', 'x ']).map((run) => `[wait] 1. n | m -- d\n  - timeout: x${run}\n`),
  );
  // Containers nested thousands deep on one line, holding a fence: remark-parse takes time
  // quadratic in the depth (about a second for 6000 `>` here), so only a few cases.
  const nested = fc
    .tuple(fc.constantFrom('>', '> ', ' >'), fc.integer({ min: 6000, max: 9000 }))
    .map(([piece, depth]) => `${piece.repeat(depth)}\`\`\`\n[wait] 1. n | m -- d\n\`\`\`\n`);

  it('parses lines of a few hundred thousand characters without hanging, overflowing or throwing', () => {
    fc.assert(
      fc.property(long, (text) => {
        const line = text.split('\n')[0] ?? '';
        const result = parseStepLine(line);
        if (result.ok) expect(formatStep(result.step)).toBe(line);
        checkParse(text);
      }),
      { numRuns: LONG_RUNS },
    );
  });

  it('reads fences inside containers nested thousands deep without overflowing the stack', () => {
    fc.assert(
      fc.property(nested, (text) => {
        const schedule = checkParse(text);
        // A column-0 line ends every container and the fence inside it (CommonMark): a step.
        expect(schedule).not.toBeInstanceOf(ScheduleSyntaxError);
        expect((schedule as Schedule).steps.map((step) => step.line)).toEqual([2]);
      }),
      { numRuns: 4 },
    );
  });
});
