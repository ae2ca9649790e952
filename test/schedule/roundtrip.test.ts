/**
 * Property tests: for thousands of generated schedules (LF and CRLF, prose, attributes, fenced
 * blocks holding step-like lines), parse then format is byte-identical, and a mutation
 * changes exactly one marker.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSchedule, formatStep } from '../../src/schedule/format.js';
import { setStepStatus, setStepStatuses } from '../../src/schedule/mutate.js';
import type { Problem } from '../../src/errors.js';
import { parseSchedule, parseStepGrammar, parseStepLine } from '../../src/schedule/parse.js';
import { STEP_STATUSES, type Step, type StepStatus } from '../../src/schedule/step.js';

const RUNS = 2000;

const status = fc.constantFrom(...STEP_STATUSES);
const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/);
/** Description text: anything on one line that does not start or end with a blank. */
const description = fc
  .stringMatching(/^[A-Za-z0-9 ().,:|\-/'"`*#[\]{}$;&]{0,40}$/)
  .map((text) => text.trim())
  .filter((text) => !text.endsWith(')') || balancedTail(text));
const ref = fc.option(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 .-]{0,20}[A-Za-z0-9]$/), { nil: undefined });
const trailing = fc.constantFrom('', '', '', ' ', '  ', '\t');

/** True when a text ending in `)` has a balancing `(` (else the grammar reports an error). */
function balancedTail(text: string): boolean {
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i -= 1) {
    if (text[i] === ')') depth += 1;
    else if (text[i] === '(' && --depth === 0) return true;
  }
  return false;
}

interface GeneratedStep {
  status: StepStatus;
  name: string;
  models: string[];
  description: string;
  ref: string | undefined;
  trailing: string;
}

const stepFields = fc
  .record({
    status,
    name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,15}$/).map((name) => name.trim()),
    models: fc.array(word, { minLength: 1, maxLength: 3 }),
    description,
    ref,
    trailing,
  })
  // Without a ref, a description ending in a parenthesised group would read as the ref.
  .filter((fields) => fields.ref !== undefined || !fields.description.endsWith(')'));

/** A line that is never a step candidate, an attribute, a fence or an HTML block. */
const prose = fc
  .stringMatching(/^[A-Za-z0-9 #*_.,:()[\]|-]{0,30}[ \t]*$/)
  .map((text) => (/^\[[A-Za-z]*\]|^[ \t]|^[<]/.test(text) ? `x${text}` : text));

const attribute = fc.constantFrom('  - timeout: 5m', '  - retries: 2', '\t- when: always', '  * stall: 90s');

/** A fenced block whose content looks like steps but must never be read as steps. */
const fence = fc
  .tuple(
    fc.constantFrom('```', '~~~', '````md'),
    fc.array(fc.constantFrom('[wait] 99. x | m -- d', '[bogus] y', 'z'), { maxLength: 3 }),
  )
  .map(([open, body]) => [open, ...body, open.startsWith('`') ? '````' : '~~~']);

type Piece = { kind: 'step'; step: GeneratedStep; attributes: string[] } | { kind: 'lines'; lines: string[] };

const piece: fc.Arbitrary<Piece> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('step' as const),
      step: stepFields,
      attributes: fc.array(attribute, { maxLength: 2 }).map((items) => [...new Set(items)]),
    }),
  },
  { weight: 2, arbitrary: prose.map((line) => ({ kind: 'lines' as const, lines: [line] })) },
  { weight: 1, arbitrary: fence.map((lines) => ({ kind: 'lines' as const, lines })) },
);

/** A generated schedule: its text and the steps it holds outside fences, in order. */
const schedule = fc
  .tuple(fc.array(piece, { maxLength: 25 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean())
  .map(([pieces, eol, mixed, finalNewline]) => {
    const lines: string[] = [];
    const steps: { line: string; number: number }[] = [];
    for (const item of pieces) {
      if (item.kind === 'lines') {
        lines.push(...item.lines);
        continue;
      }
      const number = steps.length + 1;
      const line = formatStep({ ...item.step, number });
      steps.push({ line, number });
      lines.push(line, ...item.attributes);
    }
    const text = lines
      .map((line, index) => line + (index === lines.length - 1 && !finalNewline ? '' : mixed && index % 2 ? '\n' : eol))
      .join('');
    return { text, steps };
  });

describe('schedule round trip (fast-check)', () => {
  it('parses every generated step line back to its fields, and formats it back byte for byte', () => {
    fc.assert(
      fc.property(stepFields, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (fields, number) => {
        const line = formatStep({ ...fields, number });
        const result = parseStepLine(line);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        const { status: s, name, models, description: d, ref: r, trailing: t } = result.step;
        expect({ status: s, number: result.step.number, name, models, description: d, ref: r, trailing: t }).toEqual({
          ...fields,
          number,
        });
        expect(formatStep(result.step)).toBe(line);
      }),
      { numRuns: RUNS },
    );
  });

  it('formats any line the grammar accepts back to exactly that line', () => {
    const noisyLine = fc
      .tuple(status, fc.nat({ max: 1000 }), fc.stringMatching(/^[a-z |()\-,.\t]{0,40}$/))
      .map(([s, n, rest]) => `[${s}] ${n}. ${rest}`);
    fc.assert(
      fc.property(noisyLine, (line) => {
        const result = parseStepLine(line);
        if (result.ok) expect(formatStep(result.step)).toBe(line);
        else expect(result.problems[0]?.column).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('parse then format is byte-identical for any schedule, LF, CRLF or mixed', () => {
    fc.assert(
      fc.property(schedule, ({ text, steps }) => {
        const parsed = parseSchedule(text);
        expect(parsed.steps.map((step) => [step.number, step.text])).toEqual(steps.map((s) => [s.number, s.line]));
        expect(formatSchedule(parsed)).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it('a mutation changes only the one marker and keeps every other byte', () => {
    fc.assert(
      fc.property(
        schedule.filter(({ steps }) => steps.length > 0),
        fc.nat(),
        status,
        ({ text }, pick, to) => {
          const parsed = parseSchedule(text);
          const target = parsed.steps[pick % parsed.steps.length];
          if (!target) return;
          const changed = setStepStatus(text, target, to);
          const markerEnd = target.offset + target.status.length + 2;
          expect(changed.slice(0, target.offset)).toBe(text.slice(0, target.offset));
          expect(changed.slice(target.offset, target.offset + to.length + 2)).toBe(`[${to}]`);
          expect(changed.slice(target.offset + to.length + 2)).toBe(text.slice(markerEnd));
          const after = parseSchedule(changed).steps;
          expect(after.map((step) => (step.number === target.number ? to : step.status))).toEqual(
            after.map((step) => step.status),
          );
          expect(after.map((step) => [step.number, step.status])).toEqual(
            parsed.steps.map((step) => [step.number, step.number === target.number ? to : step.status]),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('several mutations at once equal the same mutations one by one', () => {
    fc.assert(
      fc.property(schedule, fc.array(status), ({ text }, statuses) => {
        const parsed = parseSchedule(text);
        const changes = parsed.steps
          .slice(0, statuses.length)
          .map((step, i) => ({ step, status: statuses[i] ?? 'wait' }));
        let oneByOne = text;
        for (const { step, status: to } of changes) {
          const current = parseSchedule(oneByOne).steps.find((s) => s.number === step.number);
          if (current) oneByOne = setStepStatus(oneByOne, current, to);
        }
        expect(setStepStatuses(text, changes)).toBe(oneByOne);
      }),
      { numRuns: RUNS / 4 },
    );
  });
});

describe('the common-line shortcut', () => {
  it('parses every line exactly as the full grammar does', () => {
    const piece = (pattern: RegExp) => fc.stringMatching(pattern);
    const line = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('[wait] ', '[run] ', '[done] ', '[WAIT] ', '[wait]'),
          fc.constantFrom('1', '42', '007', '9007199254740991', '99999999999999999', 'x'),
          piece(/^[a-z |()\-,.\t_]{0,30}$/),
          fc.constantFrom('', ' ', '\t', ' )', '  '),
        )
        .map(([marker, number, rest, tail]) => `${marker}${number}. ${rest}${tail}`),
      // Well-formed up to the description, where the parentheses and spaces are random.
      fc
        .tuple(
          piece(/^[a-z][a-z |\t-]{0,8}$/),
          piece(/^[a-z0-9][a-z0-9.,_-]{0,10}$/),
          piece(/^[a-z ()\t-]{0,16}$/),
          fc.constantFrom('', ' (', '(', ' ( '),
          piece(/^[a-z ()\t.]{0,10}$/),
          fc.constantFrom('', ')', ') ', '))', ')\t'),
        )
        .map(
          ([name, models, desc, open, ref, close]) => `[wait] 3. ${name} | ${models} -- ${desc}${open}${ref}${close}`,
        ),
    );
    const fields = (result: Step | Problem) => ('status' in result ? { ...result } : result);
    fc.assert(
      fc.property(line, (text) => {
        const whole = parseStepLine(text, { file: 'f', line: 3, offset: 7 });
        const grammar = parseStepGrammar(text, 'f', 3, 7, {});
        expect(whole.ok ? fields(whole.step) : whole.problems[0]).toEqual(fields(grammar));
      }),
      { numRuns: 10_000 },
    );
  });
});
