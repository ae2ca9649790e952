/**
 * `LivePlan` takes exactly what `takeSteps` takes on the same schedule, across a whole run of
 * settlements and takes, without re-reading the text between them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NoSuchStepError } from '../../src/errors.js';
import { parseAppendedSteps } from '../../src/schedule/append.js';
import { LivePlan } from '../../src/schedule/live-plan.js';
import { takeFromSchedule, type TakeOptions, type TakeOutcome } from '../../src/schedule/operations.js';
import { parseSchedule } from '../../src/schedule/parse.js';
import { STEP_STATUSES, type Step } from '../../src/schedule/step.js';

/** One random step: a status, and maybe `needs` (as offsets) and `when`. */
const stepArbitrary = fc.record({
  status: fc.constantFrom(...STEP_STATUSES),
  needs: fc.option(fc.array(fc.integer({ min: 0, max: 11 }), { maxLength: 3 }), { nil: undefined }),
  when: fc.option(fc.constantFrom('success', 'failure', 'always'), { nil: undefined }),
});

/** A schedule text from random steps; `needs` only point backwards, so there is no cycle. */
function scheduleText(steps: readonly { status: string; needs?: number[]; when?: string }[]): string {
  // A byte order mark and characters of 2, 3 and 4 bytes: byte offsets are not character offsets.
  const lines = ['\uFEFF# Schedule: live plan', ''];
  steps.forEach((step, i) => {
    lines.push(`[${step.status}] ${i + 1}. s${i + 1} | m -- step ${i + 1}${i % 2 === 0 ? '' : ' é✓😀'}`);
    if (step.needs !== undefined) {
      const needs = [...new Set(step.needs.filter((need) => need < i).map((need) => need + 1))];
      lines.push(`  - needs: ${needs.length === 0 ? 'none' : needs.join(', ')}`);
    }
    if (step.when !== undefined) lines.push(`  - when: ${step.when}`);
    if (i % 3 === 0) lines.push('prose between steps');
  });
  return `${lines.join('\n')}\n`;
}

/**
 * A take's outcome with the skips in file order, as `LivePlan` reports them, and without the
 * steps' offsets: a `LivePlan`'s steps keep those of the text it was built from.
 */
function normalised(outcome: TakeOutcome): unknown {
  const plain = (step: Step): Step => ({ ...step, offset: 0 });
  return {
    ...outcome,
    started: outcome.started.map(plain),
    resumed: outcome.resumed.map(plain),
    skipped: [...outcome.skipped]
      .sort((a, b) => a.step.line - b.step.line)
      .map((skip) => ({ ...skip, step: plain(skip.step) })),
    ...(outcome.stuck && { stuck: plain(outcome.stuck) }),
  };
}

/** One take of a property run: maybe settle a running step (`pick` of them), a limit, steps still running. */
interface RandomTake {
  readonly settle?: { readonly pick: number; readonly status: 'done' | 'fail' | 'skip' } | undefined;
  readonly limit?: number | undefined;
  readonly running: readonly number[];
}

const takeArbitrary = fc.record({
  settle: fc.option(fc.record({ pick: fc.nat(), status: fc.constantFrom('done', 'fail', 'skip' as const) }), {
    nil: undefined,
  }),
  limit: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  running: fc.array(fc.nat(), { maxLength: 2 }),
});

/** Runs `takes` on `live` and on `takeSteps` from `text` alike, expecting the same; returns the text after. */
function followTakes(
  live: LivePlan,
  start: string,
  takes: readonly RandomTake[],
  only: ReadonlySet<number> | undefined,
): string {
  let text = start;
  for (const take of takes) {
    const schedule = parseSchedule(text);
    const runningSteps = schedule.steps.filter((step) => step.status === 'run');
    // A run settles only steps it runs, which are selected; `takeSteps` would plan an
    // unselected step settled once with its new status, `LivePlan` keeps it `[done]`.
    const settleable = runningSteps.filter((step) => only === undefined || only.has(step.number));
    const { settle } = take;
    const settleStep = settle && settleable[settle.pick % Math.max(1, settleable.length)];
    const options: TakeOptions = {
      ...(take.limit !== undefined && { limit: take.limit }),
      running: new Set(take.running.map((pick) => runningSteps[pick % Math.max(1, runningSteps.length)]?.number ?? 0)),
      ...(settle && settleStep && { settle: { number: settleStep.number, status: settle.status } }),
    };
    const expected = takeFromSchedule(schedule, { ...options, ...(only && { only }) });
    const { overruled, ...actual } = live.take(options);
    expect(overruled).toEqual([]);
    expect(normalised(actual)).toEqual(normalised(expected.result));
    expect(live.text).toBe(expected.text);
    text = expected.text;
  }
  return text;
}

describe('LivePlan', () => {
  it('takes what takeSteps takes, take after take', () => {
    fc.assert(
      fc.property(
        fc.array(stepArbitrary, { maxLength: 12 }),
        fc.array(takeArbitrary, { maxLength: 10 }),
        fc.option(fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 6 }), { nil: undefined }),
        (steps, takes, onlyList) => {
          const only = onlyList === undefined ? undefined : new Set(onlyList);
          const text = scheduleText(steps);
          followTakes(new LivePlan(parseSchedule(text), only), text, takes, only);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('takes steps appended to its text (parsed alone) as takeSteps takes them from the whole text', () => {
    fc.assert(
      fc.property(
        fc.array(stepArbitrary, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.array(takeArbitrary, { maxLength: 6 }),
        fc.array(takeArbitrary, { maxLength: 6 }),
        fc.option(fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 6 }), { nil: undefined }),
        (steps, cut, before, after, onlyList) => {
          const only = onlyList === undefined ? undefined : new Set(onlyList);
          const whole = scheduleText(steps);
          // The tail starts at the line of a random step: `workflow add` appends whole lines.
          const first = (cut % steps.length) + 1;
          const at = whole.lastIndexOf('\n', whole.indexOf(`] ${first}. s${first} |`)) + 1;
          const tail = whole.slice(at);
          const live = new LivePlan(parseSchedule(whole.slice(0, at)), only);
          // The cache appends to what it wrote: a first take writes the skips found when built.
          const text = followTakes(live, whole.slice(0, at), [{ limit: 0, running: [] }, ...before], only);
          const place = { line: text.split('\n').length, offset: text.length };
          const appended = parseAppendedSteps(tail, 'schedule.md', (n) => live.needsOf(n) !== undefined, place);
          expect(appended?.map((step) => step.number)).toEqual(steps.slice(first - 1).map((_, i) => first + i));
          live.append(appended ?? [], Buffer.from(text + tail), tail, text.length);
          // Lines and offsets as a parse of the whole text gives them.
          const reparsed = parseSchedule(text + tail).steps.slice(first - 1);
          expect(appended?.map((step) => [step.line, step.offset])).toEqual(reparsed.map((s) => [s.line, s.offset]));
          followTakes(live, text + tail, [...after, { running: [] }], only);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('plans the steps its caller settled as settled, whatever the file says, and reports them once', () => {
    const text = '# S\n\n[wait] 1. a | m -- d\n[run] 2. b | m -- d\n[wait] 3. c | m -- d\n  - needs: 1, 2\n';
    const live = new LivePlan(
      parseSchedule(text),
      undefined,
      new Map([
        [1, 'done'],
        [2, 'skip'],
      ] as const),
    );
    const outcome = live.take();
    // Neither started nor resumed; step 3, which needs both, is ready and taken.
    expect(outcome.started.map((step) => step.number)).toEqual([3]);
    expect(outcome.resumed).toEqual([]);
    expect(outcome.overruled.map((step) => [step.number, step.status])).toEqual([
      [1, 'wait'],
      [2, 'run'],
    ]);
    // Not written: the file keeps what the hand edit put there for steps 1 and 2.
    expect(live.text).toBe(text.replace('[wait] 3.', '[run] 3.'));
    expect(live.take({ settle: { number: 3, status: 'done' } })).toMatchObject({ state: 'complete', overruled: [] });
  });

  it('refuses to settle a step the schedule lacks, as takeSteps does', () => {
    const live = new LivePlan(parseSchedule('[run] 1. a | m -- d\n'));
    expect(() => live.take({ settle: { number: 7, status: 'done' } })).toThrow(NoSuchStepError);
    expect(() => live.take({ settle: { number: 7, status: 'done' } })).toThrow('no step 7 to mark done');
  });

  it('keeps every byte but the markers it changes, and writes the skips found when built', () => {
    const text =
      '# S\r\n\r\n[done] 1. a | m -- d\r\n[wait] 2. b | m -- d\r\n  - when: failure\r\n[wait] 3. c | m -- d (x.md)\r\n';
    const live = new LivePlan(parseSchedule(text));
    expect(live.changed).toBe(true);
    const outcome = live.take({ limit: 1 });
    expect(outcome.skipped.map((skip) => skip.step.number)).toEqual([2]);
    expect(outcome.started.map((step) => step.text)).toEqual(['[run] 3. c | m -- d (x.md)']);
    expect(live.text).toBe(text.replace('[wait] 2.', '[skip] 2.').replace('[wait] 3.', '[run] 3.'));
    expect(live.take({ settle: { number: 3, status: 'done' } }).state).toBe('complete');
  });

  it('follows a long chain of steps without deep recursion', () => {
    const count = 20_000;
    const lines = [];
    for (let n = 1; n <= count; n += 1) lines.push(`[wait] ${n}. s${n} | m -- d`, '  - when: failure');
    lines[1] = '';
    const live = new LivePlan(
      parseSchedule(`[done] 0. z | m -- d\n${lines.join('\n')}\n`.replace('[done] 0.', '[run] 99999.')),
    );
    const outcome = live.take({ settle: { number: 99_999, status: 'done' } });
    expect(outcome.started.map((step) => step.number)).toEqual([1]);
  });
});
