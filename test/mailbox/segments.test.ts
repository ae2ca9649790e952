/**
 * Segmented record logs (src/mailbox/segments.ts) on real files: numbering across segments,
 * a record that lands after a seal (a writer that opened the old segment, or a rotation killed
 * half-way), `journal` linked back to an old segment, and deleting covered segments.
 */
import { linkSync, lstatSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecord } from '../../src/mailbox/records.js';
import {
  appendToLog,
  collectSegments,
  GONE,
  readLog,
  SEGMENT_RECORDS,
  segmentPath,
} from '../../src/mailbox/segments.js';
import { makeTree } from '../helpers.js';
import { appendRecord } from './history.js';

const record = (n: number): Buffer => encodeRecord(['r', n]);

/** Appends records `from` to `to` and checks the number each gets. */
function appendRange(log: string, from: number, to: number): void {
  for (let n = from; n <= to; n += 1) expect(appendToLog(log, record(n))).toBe(n);
}

/** The numbers of the records a reader sees after record `from`. */
function readNumbers(log: string, from = 0): number[] {
  const window = readLog(log, from);
  if (window === GONE) throw new Error('gone');
  expect(window.total).toBe(from + window.records.length);
  return window.records.map((fields) => Number(fields[1]));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function newLog(): Promise<string> {
  return join(await makeTree({}), 'journal');
}

describe('segmented logs', () => {
  it('number records across segments, and readers see each once, in order, from any point', async () => {
    const log = await newLog();
    const count = 2 * SEGMENT_RECORDS + 100;
    appendRange(log, 1, count);
    expect(readNumbers(log)).toEqual(range(1, count));
    expect(readNumbers(log, SEGMENT_RECORDS - 1)).toEqual(range(SEGMENT_RECORDS, count));
    expect(readNumbers(log, 2 * SEGMENT_RECORDS)).toEqual(range(2 * SEGMENT_RECORDS + 1, count));
    expect(readNumbers(log, count)).toEqual([]);
    // Segments 0 to 2, and `journal` is the newest.
    const folder = join(log, '..');
    expect(readdirSync(folder).sort()).toEqual(['journal', 'journal.0', 'journal.1', 'journal.2']);
    expect(lstatSync(log).ino).toBe(lstatSync(segmentPath(log, 2)).ino);
  });

  it('a record that lands after a seal is appended again to the next segment, and counted once', async () => {
    const log = await newLog();
    // A rotation killed just after its seal: segment 0 is full and sealed, no next one exists.
    for (let n = 1; n <= SEGMENT_RECORDS; n += 1) appendRecord(log, record(n));
    linkSync(log, segmentPath(log, 0));
    appendRecord(log, encodeRecord(['s', '0']));
    expect(appendToLog(log, record(SEGMENT_RECORDS + 1))).toBe(SEGMENT_RECORDS + 1);
    expect(readNumbers(log)).toEqual(range(1, SEGMENT_RECORDS + 1));
    expect(readNumbers(log, SEGMENT_RECORDS)).toEqual([SEGMENT_RECORDS + 1]);
    // The late copy stays in segment 0, after its seal, where no reader looks.
    expect(lstatSync(segmentPath(log, 0)).size).toBe((SEGMENT_RECORDS + 2) * 64);
    expect(lstatSync(log).ino).toBe(lstatSync(segmentPath(log, 1)).ino);
    appendRange(log, SEGMENT_RECORDS + 2, SEGMENT_RECORDS + 20);
    expect(readNumbers(log)).toEqual(range(1, SEGMENT_RECORDS + 20));
  });

  it('a writer still finds the newest segment when `journal` links an old, sealed one', async () => {
    const log = await newLog();
    appendRange(log, 1, 2 * SEGMENT_RECORDS + 5);
    // As a rotation stalled between its link and its rename would leave it.
    const stale = join(log, '..', 'stale');
    linkSync(segmentPath(log, 0), stale);
    renameSync(stale, log);
    // Records that landed after segment 0's seal are no records of the log, for a reader
    // anywhere in it: one in segment 2 must not take them for segment 2's.
    for (let n = 0; n < 5; n += 1) appendRecord(log, record(-1));
    expect(readNumbers(log, 2 * SEGMENT_RECORDS + 1)).toEqual(range(2 * SEGMENT_RECORDS + 2, 2 * SEGMENT_RECORDS + 5));
    expect(readNumbers(log, SEGMENT_RECORDS + 3)).toEqual(range(SEGMENT_RECORDS + 4, 2 * SEGMENT_RECORDS + 5));
    appendRange(log, 2 * SEGMENT_RECORDS + 6, 2 * SEGMENT_RECORDS + 8);
    expect(readNumbers(log)).toEqual(range(1, 2 * SEGMENT_RECORDS + 8));
    expect(lstatSync(log).ino).toBe(lstatSync(segmentPath(log, 2)).ino);
  });

  it('segments whose records are covered are deleted, never the current one; a reader behind them is told', async () => {
    const log = await newLog();
    const count = 3 * SEGMENT_RECORDS + 7;
    appendRange(log, 1, count);
    collectSegments(log, SEGMENT_RECORDS - 1);
    expect(readdirSync(join(log, '..')).sort()).toEqual([
      'journal',
      'journal.0',
      'journal.1',
      'journal.2',
      'journal.3',
    ]);
    collectSegments(log, 2 * SEGMENT_RECORDS);
    expect(readdirSync(join(log, '..')).sort()).toEqual(['journal', 'journal.2', 'journal.3']);
    expect(readLog(log, 0)).toBe(GONE);
    expect(readLog(log, 2 * SEGMENT_RECORDS - 1)).toBe(GONE);
    expect(readNumbers(log, 2 * SEGMENT_RECORDS)).toEqual(range(2 * SEGMENT_RECORDS + 1, count));
    collectSegments(log, count);
    expect(readdirSync(join(log, '..')).sort()).toEqual(['journal', 'journal.3']);
    appendRange(log, count + 1, count + 3);
    expect(readNumbers(log, count)).toEqual(range(count + 1, count + 3));
  });

  it('the journal tag, its first message id, is carried into every segment', async () => {
    const log = await newLog();
    appendToLog(log, encodeRecord(['1a.2b.1', 0, 10]));
    for (let n = 2; n <= SEGMENT_RECORDS + 3; n += 1)
      appendToLog(log, encodeRecord([`1a.2b.${n.toString(36)}`, 0, 10]));
    collectSegments(log, SEGMENT_RECORDS);
    const window = readLog(log, SEGMENT_RECORDS);
    expect(window).toMatchObject({ tag: '1a.2b.1', total: SEGMENT_RECORDS + 3 });
  });
});
