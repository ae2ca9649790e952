/** The end line of a run limited by `--only`/`--from`: what the selection did, what is left. */
import { describe, expect, it } from 'vitest';
import { describeSelectionEnd, withNeeds } from '../../src/engine/select.js';
import { parseSchedule } from '../../src/schedule/parse.js';

const steps = (...markers: string[]) =>
  parseSchedule(markers.map((marker, i) => `[${marker}] ${i + 1}. s${i + 1} | m -- d\n`).join('')).steps;

describe('describeSelectionEnd', () => {
  it.each([
    { markers: ['done', 'wait', 'wait'], selected: [1], summary: 'step 1 done; 2 steps still wait' },
    { markers: ['wait', 'done', 'done'], selected: [2, 3], summary: 'steps 2, 3 done; 1 step still waits' },
    {
      markers: ['done', 'skip', 'fail', 'wait'],
      selected: [1, 2],
      summary: 'step 1 done; step 2 skipped; 2 steps not done (1 [fail], 1 [wait])',
    },
    { markers: ['skip', 'run'], selected: [1], summary: 'step 1 skipped; 1 step not done (1 [run])' },
  ])('$summary', ({ markers, selected, summary }) => {
    expect(describeSelectionEnd(steps(...markers), new Set(selected))?.summary).toBe(summary);
  });

  it('is undefined when no step is left anywhere: the run is complete', () => {
    expect(describeSelectionEnd(steps('done', 'skip'), new Set([1]))).toBeUndefined();
  });
});

describe('withNeeds', () => {
  const schedule = parseSchedule(
    [
      '[wait] 1. a | m -- d',
      '  - needs: none',
      '[done] 2. b | m -- d',
      '[wait] 3. c | m -- d',
      '  - needs: 2',
      '[wait] 4. e | m -- d',
      '[wait] 5. f | m -- d',
      '  - needs: 1, 4',
      '',
    ].join('\n'),
  ).steps;

  it.each([
    { chosen: [4], steps: [2, 3, 4], why: 'default and explicit needs, transitively' },
    { chosen: [5], steps: [1, 2, 3, 4, 5], why: 'every branch' },
    { chosen: [1], steps: [1], why: 'a step that needs none' },
    { chosen: [2], steps: [2], why: 'a done step is not looked through (its default need, 1, stays out)' },
    { chosen: [4, 3, 9], steps: [2, 3, 4], why: 'file order, each once, unknown numbers left out' },
  ])('$why', ({ chosen, steps }) => {
    expect(withNeeds(schedule, chosen)).toEqual(steps);
  });
});
