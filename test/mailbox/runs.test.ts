/** Runs: a set of sequence numbers stored as runs, checked against a plain Set. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Runs } from '../../src/mailbox/runs.js';

describe('Runs', () => {
  it('holds what a Set holds, in as few runs as possible, whatever the order of adds', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 80 }), (seqs) => {
        const runs = new Runs();
        const set = new Set<number>();
        for (const seq of seqs) {
          expect(runs.add(seq)).toBe(!set.has(seq));
          set.add(seq);
        }
        expect(runs.size).toBe(set.size);
        for (let seq = 0; seq <= 61; seq += 1) expect(runs.has(seq)).toBe(set.has(seq));
        const sorted = [...set].sort((a, b) => a - b);
        const breaks = sorted.filter((seq, i) => i > 0 && seq !== (sorted[i - 1] ?? 0) + 1).length;
        expect(runs.runCount).toBe(sorted.length === 0 ? 0 : breaks + 1);
        expect(runs.countUpTo(30)).toBe(sorted.filter((seq) => seq <= 30).length);
        expect(Runs.from(runs.runs()).runs()).toEqual(runs.runs());
      }),
    );
  });

  it('one run behind a held message, however many pass; taken whole once the gap closes', () => {
    const runs = new Runs();
    for (let seq = 2; seq <= 100_000; seq += 1) runs.add(seq);
    expect(runs.runs()).toEqual([[2, 100_000]]);
    expect(runs.runEnd(500)).toBe(100_000);
    expect(runs.takeRunAt(1)).toBeUndefined();
    runs.add(1);
    expect(runs.takeRunAt(1)).toEqual([1, 100_000]);
    expect(runs.size).toBe(0);
  });

  it('from() merges overlapping and adjacent runs given in any order', () => {
    expect(
      Runs.from([
        [8, 9],
        [1, 3],
        [4, 5],
        [2, 2],
        [7, 7],
      ]).runs(),
    ).toEqual([
      [1, 5],
      [7, 9],
    ]);
    expect(
      Runs.from([
        [1, 5],
        [7, 9],
      ]).size,
    ).toBe(8);
  });
});
