/**
 * Which steps a rollback to step N turns back to `[wait]`: those settled after N's
 * checkpoint, by log order, checkpoint order, or a checkpoint N's commit does not contain.
 */
import { describe, expect, it } from 'vitest';
import { stepsSettledAfter, type SettledAfterInput, type SettleMark } from '../../src/git/settled-after.js';
import type { StepStatus } from '../../src/schedule/step.js';

const checkpoint = (step: number): SettleMark => ({ kind: 'checkpoint', step });
const settled = (step: number): SettleMark => ({ kind: 'settled', step });

function input(statuses: Record<number, StepStatus>, rest: Partial<SettledAfterInput>): SettledAfterInput {
  return {
    target: 1,
    steps: Object.entries(statuses).map(([number, status]) => ({ number: Number(number), status })),
    marks: [],
    checkpointOrder: [],
    notContained: new Set(),
    ...rest,
  };
}

describe('stepsSettledAfter', () => {
  it.each<[string, SettledAfterInput, number[]]>([
    [
      'done, failed and skipped steps logged after the checkpoint; not those before it',
      input(
        { 1: 'done', 2: 'done', 3: 'fail', 4: 'skip', 5: 'done' },
        {
          target: 2,
          marks: [
            settled(1),
            checkpoint(1),
            settled(2),
            checkpoint(2),
            settled(3),
            settled(4),
            settled(5),
            checkpoint(5),
          ],
          checkpointOrder: [1, 2, 5],
        },
      ),
      [3, 4, 5],
    ],
    [
      'the last checkpoint of step N counts (a step done again after an earlier rollback)',
      input(
        { 1: 'done', 2: 'done' },
        { marks: [settled(1), checkpoint(1), settled(2), settled(1), checkpoint(1)], checkpointOrder: [2, 1] },
      ),
      [],
    ],
    [
      'steps now [wait] or [run] are left alone, whatever the log says',
      input(
        { 1: 'done', 2: 'wait', 3: 'run' },
        { marks: [checkpoint(1), settled(2), settled(3)], checkpointOrder: [1] },
      ),
      [],
    ],
    [
      'a checkpoint recorded later counts when the log lost its lines',
      input({ 1: 'done', 2: 'done' }, { checkpointOrder: [1, 2] }),
      [2],
    ],
    [
      'a step whose checkpoint N does not contain, though logged before N',
      input(
        { 1: 'done', 2: 'done', 3: 'done' },
        { marks: [settled(2), settled(3), settled(1), checkpoint(1)], notContained: new Set([3]) },
      ),
      [3],
    ],
  ])('%s', (_, given, expected) => {
    expect(stepsSettledAfter(given)).toEqual(expected);
  });
});
