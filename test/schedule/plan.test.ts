import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../src/schedule/parse.js';
import { planNext } from '../../src/schedule/plan.js';
import { STEP_STATUSES } from '../../src/schedule/step.js';

/** Builds a schedule from `status:attributes` shorthands; step N is the Nth entry. */
function schedule(...steps: string[]): string {
  return steps
    .map((entry, index) => {
      const [status, ...attributes] = entry.split(';');
      return [`[${status ?? ''}] ${index + 1}. s${index + 1} | m -- d`, ...attributes.map((a) => `  - ${a}`)].join(
        '\n',
      );
    })
    .join('\n');
}

/** The decision as `kind` or `kind N`, plus skipped step numbers. */
function decide(text: string): string {
  const decision = planNext(parseSchedule(text).steps);
  const step = 'step' in decision ? ` ${decision.step.number}` : '';
  const skips = decision.skips.map((skip) => skip.step.number);
  return `${decision.kind}${step}${skips.length > 0 ? ` skip ${skips.join(',')}` : ''}`;
}

describe('planNext', () => {
  it.each([
    // The original sequential contract.
    { steps: ['wait', 'wait'], want: 'start 1' },
    { steps: ['done', 'wait'], want: 'start 2' },
    { steps: ['done', 'run', 'wait'], want: 'resume 2' },
    { steps: ['run', 'run'], want: 'resume 1' },
    { steps: ['done', 'skip'], want: 'complete' },
    { steps: [], want: 'complete' },
    { steps: ['skip', 'wait'], want: 'start 2' },
    // A failed step is never passed over silently.
    { steps: ['done', 'fail', 'wait'], want: 'blocked 2' },
    { steps: ['fail', 'done', 'wait'], want: 'blocked 1' },
    { steps: ['done', 'fail'], want: 'blocked 2' },
    // Dependencies.
    { steps: ['wait', 'wait;needs: none'], want: 'start 1' },
    { steps: ['run', 'wait;needs: none'], want: 'resume 1' },
    { steps: ['done', 'wait;needs: none', 'wait;needs: 1'], want: 'start 2' },
    { steps: ['fail', 'wait;needs: none', 'wait;needs: 2'], want: 'start 2' },
    { steps: ['fail', 'done;needs: none', 'wait;needs: 1, 2'], want: 'blocked 1' },
    // Conditions.
    { steps: ['fail', 'wait;when: failure'], want: 'start 2' },
    { steps: ['done', 'wait;when: failure', 'wait'], want: 'start 3 skip 2' },
    { steps: ['done', 'wait;when: failure', 'wait;when: failure'], want: 'complete skip 2,3' },
    { steps: ['fail', 'wait;when: always'], want: 'start 2' },
    { steps: ['done', 'wait;when: always'], want: 'start 2' },
    { steps: ['wait', 'wait;when: failure'], want: 'start 1' },
    // A failure upstream blocks through steps marked done by hand, but not past a handler.
    { steps: ['fail', 'done', 'wait;when: failure'], want: 'start 3' },
    { steps: ['fail', 'done;when: always', 'wait'], want: 'start 3' },
  ])('$steps -> $want', ({ steps, want }) => {
    expect(decide(schedule(...steps))).toBe(want);
  });
});

describe('planNext: the sequential shortcut', () => {
  it('decides exactly as the dependency planner on schedules without needs or when', () => {
    const statuses = fc.constantFrom(...STEP_STATUSES);
    fc.assert(
      fc.property(
        fc.array(statuses, { maxLength: 30 }),
        fc.array(fc.constantFrom('', 'retries: 1', 'timeout: 5m')),
        (list, attributes) => {
          const text = schedule(...list.map((status, i) => (attributes[i] ? `${status};${attributes[i]}` : status)));
          const steps = parseSchedule(text).steps;
          expect(planNext(steps)).toEqual(planNext(steps, { general: true }));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
