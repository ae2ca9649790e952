/**
 * The checkpoint file format (src/mailbox/checkpoint.ts): what is written reads back the same,
 * and anything damaged reads as no checkpoint, with a reason.
 */
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/mailbox/checkpoint.js';

const checkpoint: Checkpoint = {
  tag: '2bk.0f3a1c.1',
  journal: 100_000,
  claims: 200_001,
  settled: 99_997,
  deliveries: new Map([
    [99_999, { id: '2bk.0f3a1c.1hsj', file: '2bk.0f3a1c', offset: 6_400_000, length: 97 }],
    [100_000, { id: '2bm.aaaaaa.3', file: '2bm.aaaaaa.3', offset: 0, length: 70_000 }],
  ]),
  held: new Map([[99_999, '2bl.x81k2q']]),
  acked: [[99_998, 99_998]],
  files: new Map([
    ['2bk.0f3a1c', { frames: 100_000, acked: 99_998, bytes: 9_700_000 }],
    ['2bm.aaaaaa.3', { frames: 1, acked: 0, bytes: 70_000 }],
  ]),
};

describe('checkpoint format', () => {
  it('reads back what was written, a file of its own included', () => {
    const text = encodeCheckpoint(checkpoint);
    expect(text.endsWith('}\n')).toBe(true);
    expect(decodeCheckpoint(text)).toEqual(checkpoint);
  });

  const valid = JSON.parse(encodeCheckpoint(checkpoint)) as Record<string, unknown>;

  it('reads format 1, which had no bytes per file, with bytes unknown (-1)', () => {
    const files = [
      ['2bk.0f3a1c', 100_000, 99_998],
      ['2bm.aaaaaa.3', 1, 0],
    ];
    const decoded = decodeCheckpoint(JSON.stringify({ ...valid, format: 1, files }));
    expect(decoded).toEqual({
      ...checkpoint,
      files: new Map([
        ['2bk.0f3a1c', { frames: 100_000, acked: 99_998, bytes: -1 }],
        ['2bm.aaaaaa.3', { frames: 1, acked: 0, bytes: -1 }],
      ]),
    });
  });

  const damaged: [string, string][] = [
    ['empty', ''],
    ['cut short', encodeCheckpoint(checkpoint).slice(0, 60)],
    ['not an object', '[1,2]'],
    ['another format', JSON.stringify({ ...valid, format: 3 })],
    ['a negative count', JSON.stringify({ ...valid, claims: -1 })],
    ['a fractional count', JSON.stringify({ ...valid, journal: 1.5 })],
    ['a tag with a slash', JSON.stringify({ ...valid, tag: '../x' })],
    ['a delivery at or below settled', JSON.stringify({ ...valid, deliveries: [[5, '2bk.0f3a1c.5', '0', 9]] })],
    ['a delivery past the journal', JSON.stringify({ ...valid, deliveries: [[100_001, '2bk.0f3a1c.5', '0', 9]] })],
    ['a delivery that is no journal record', JSON.stringify({ ...valid, deliveries: [[99_999, 'x', '0', 9]] })],
    ['a held message without an owner', JSON.stringify({ ...valid, held: [[99_999, '']] })],
    ['an acknowledged run backwards', JSON.stringify({ ...valid, acked: [[99_999, 99_998]] })],
    ['an acknowledged run at or below settled', JSON.stringify({ ...valid, acked: [[99_990, 99_998]] })],
    ['a file with more acknowledged than stored', JSON.stringify({ ...valid, files: [['2bk.0f3a1c', 1, 2, 9]] })],
    ['a file with negative bytes', JSON.stringify({ ...valid, files: [['2bk.0f3a1c', 1, 1, -5]] })],
    ['a row too short', JSON.stringify({ ...valid, files: [['2bk.0f3a1c', 1, 1]] })],
  ];
  it.each(damaged)('%s: no checkpoint', (_, text) => {
    expect(typeof decodeCheckpoint(text)).toBe('string');
  });
});
