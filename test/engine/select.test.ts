/** The end line of a run limited by `--only`/`--from`: what the selection did, what is left. */
import { describe, expect, it } from 'vitest';
import { describeSelectionEnd } from '../../src/engine/select.js';
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
