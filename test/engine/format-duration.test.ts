import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/engine/report.js';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [350, '350ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [4200, '4.2s'],
    [59_600, '59.6s'],
    [59_949, '59.9s'],
    [59_960, '1m 00s'],
    [65_000, '1m 05s'],
    [119_400, '1m 59s'],
    [119_500, '2m 00s'],
    [3_599_400, '59m 59s'],
    [3_599_900, '1h 00m'],
    [7_380_000, '2h 03m'],
    [7_409_999, '2h 03m'],
    [7_410_000, '2h 04m'],
  ])('%d ms is %s', (ms, shown) => {
    expect(formatDuration(ms)).toBe(shown);
  });
});
