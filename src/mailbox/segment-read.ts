/**
 * Reading segmented record logs (see `segments.ts` for the format and how they are written):
 * a segment's header and records, the chain from one segment to the next, and a log's
 * records after a given one.
 */
import { closeSync, readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { isErrno } from '../errors.js';
import { NO_FOLLOW, openNoFollowSizeSync } from '../fs/guard.js';
import { readAtSync } from '../fs/read-at.js';
import { decodeRecord, RECORD_BYTES } from './records.js';

/** Records (the header excluded) after which a segment is sealed and a new one started. */
export const SEGMENT_RECORDS = 512;

/** Part of a segment, read from an open file. */
export interface Segment {
  /** Segment number. */
  readonly gen: number;
  /** Records of the log before the segment's first. */
  readonly base: number;
  /** Header records: 1, or 0 for segment 0. */
  readonly header: 0 | 1;
  /** The journal's tag (its first message id), if known. */
  readonly tag: string | undefined;
  /** Whole records in the file, header included. */
  readonly count: number;
  /** Records `first` (0-based, in the file) to `count - 1`. */
  readonly bytes: Buffer;
  readonly first: number;
  /** 1-based index in the file of the first seal at or after record `first`, if any. */
  readonly seal: number | undefined;
}

/** The records of a log read from some record on. */
export interface LogWindow {
  /**
   * The journal's tag: its first message id, which names this incarnation of the mailbox (a
   * mailbox removed by `cleanup` and created again starts a new log); undefined while empty.
   */
  readonly tag: string | undefined;
  /** How many records the log holds (the number of its last record). */
  readonly total: number;
  /** Fields of the log's records after the one asked for, up to `total`. */
  readonly records: readonly string[][];
}

/** `readLog`'s answer when records asked for are gone: deleted once a checkpoint covered them. */
export const GONE = 'gone';

/** `readSegment`'s `from` that reads the header and the record count only. */
export const HEADER_ONLY = Number.MAX_SAFE_INTEGER;

const isSeal = (bytes: Buffer, at: number): boolean => bytes[at] === 0x73 && bytes[at + 1] === 0x20;

/** The path of segment `gen` of a log. */
export function segmentPath(log: string, gen: number): string {
  return `${log}.${gen.toString(36)}`;
}

/** What a segment's first record says: its number, first record's number, header and tag. */
export type Head = Pick<Segment, 'gen' | 'base' | 'header' | 'tag'>;

/** Parses a segment's first record (segment 0 has no header: its first is a log record). */
function parseHead(first: Buffer | undefined): Head {
  if (first === undefined || first.length < RECORD_BYTES) return { gen: 0, base: 0, header: 0, tag: undefined };
  const [kind = '', gen = '', base = '', tag = '-'] = decodeRecord(first);
  if (kind === 'h')
    return { gen: parseInt(gen, 36), base: parseInt(base, 36), header: 1, tag: tag === '-' ? undefined : tag };
  // The journal's first delivery names it; a claims record has no dot.
  return { gen: 0, base: 0, header: 0, tag: kind.includes('.') ? kind : undefined };
}

/**
 * Reads an open segment of `size` bytes: its header and its records from `from` (0-based, in
 * the file, or computed from the header) to its end, and finds the first seal among them. A caller that has
 * read the records before `from` and found no seal there knows the first seal of the segment.
 */
export function readSegment(fd: number, size: number, from: number | ((head: Head) => number) = 0): Segment {
  const count = Math.floor(size / RECORD_BYTES);
  let head: Head | undefined;
  let start = typeof from === 'number' ? from : 0;
  if (typeof from === 'function') {
    head = parseHead(count > 0 ? readAtSync(fd, RECORD_BYTES, 0) : undefined);
    start = from(head);
  }
  const first = Math.min(start, count);
  const bytes = readAtSync(fd, (count - first) * RECORD_BYTES, first * RECORD_BYTES);
  head ??= parseHead(count === 0 ? undefined : first === 0 ? bytes : readAtSync(fd, RECORD_BYTES, 0));
  const whole = Math.floor(bytes.length / RECORD_BYTES);
  let seal: number | undefined;
  for (let i = Math.max(head.header - first, 0); i < whole && seal === undefined; i += 1) {
    if (isSeal(bytes, i * RECORD_BYTES)) seal = first + i + 1;
  }
  return { ...head, count: first + whole, bytes, first, seal };
}

/** The fields of record `index` (0-based, in the file) of a segment read from before it. */
function recordAt(segment: Segment, index: number): string[] {
  return decodeRecord(segment.bytes, (index - segment.first) * RECORD_BYTES);
}

/** Opens and reads a segment file from record `from`; undefined if it does not exist. */
export function openSegment(path: string, from: Parameters<typeof readSegment>[2] = 0): Segment | undefined {
  let opened: { fd: number; size: number };
  try {
    opened = openNoFollowSizeSync(path, NO_FOLLOW.read);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  const { fd, size } = opened;
  try {
    return readSegment(fd, size, from);
  } finally {
    closeSync(fd);
  }
}

/** Segment `gen` of a log read from record `from`: `log.<gen>`, or `log` if it is that segment. */
export function findSegment(
  log: string,
  gen: number,
  from: Parameters<typeof readSegment>[2] = 0,
): Segment | undefined {
  const named = openSegment(segmentPath(log, gen), from);
  if (named?.gen === gen) return named;
  const current = openSegment(log, from);
  return current?.gen === gen ? current : undefined;
}

/** The number of the last record of the log in a segment (the record before its first seal). */
export const endOf = (segment: Segment): number =>
  segment.base + (segment.seal ?? segment.count + 1) - 1 - segment.header;

/** The records of an unsealed segment after record `from`, read from before it. */
export function windowOf(segment: Segment, from: number): LogWindow {
  const end = endOf(segment);
  const records: string[][] = [];
  for (let number = Math.max(from, segment.base) + 1; number <= end; number += 1) {
    records.push(recordAt(segment, segment.header + number - segment.base - 1));
  }
  return { tag: segment.tag, total: end, records };
}

/**
 * Reads a log's records after record `from` to its end, or only the first `limit` of them,
 * following the chain of segments. A missing log is empty. Reads one segment, the current
 * one, for a reader that keeps up; a reader far behind goes straight to the segment that
 * holds record `from + 1` (segment g holds records from g x `SEGMENT_RECORDS` + 1 on, checked
 * against its header), so what it costs does not grow with how far behind it is.
 *
 * @param limit - at most this many records are returned. Default: all.
 * @returns the window (`total` below `from` and no records if the log holds fewer: a new
 *   one; the number of the last record returned if `limit` cut it short), or `GONE` if a
 *   segment holding some of those records was deleted.
 * @throws {UnsafePathError} if a segment is a symbolic link; {NotRegularFileError} if it is
 *   a pipe or anything but a regular file; the `fs` error for anything but a missing file.
 */
export function readLog(log: string, from: number, limit = Number.POSITIVE_INFINITY): LogWindow | typeof GONE {
  // Usually the current segment holds record `from + 1`: read from there on the same handle,
  // and from its record that fills it on (where a seal can be). `log` may still link a sealed
  // segment whose successor the reader is already in: records after that seal are no records.
  const at = (head: Head): number =>
    head.base <= from ? Math.min(head.header + from - head.base, head.header + SEGMENT_RECORDS - 1) : HEADER_ONLY;
  let segment = openSegment(log, at);
  if (segment === undefined) return { tag: undefined, total: 0, records: [] };
  const tag = segment.tag;
  if (limit <= 0) return { tag, total: Math.min(from, endOf(segment)), records: [] };
  if (segment.base > from) {
    // Back to the segment that holds it: where its number says, read from record `from` on in
    // the same open (a receiver behind the writer comes here on every read), else one by one.
    const guess = findSegment(log, Math.floor(from / SEGMENT_RECORDS), at);
    if (guess !== undefined && guess.base <= from && from < guess.base + SEGMENT_RECORDS) {
      segment = guess;
    } else {
      while (segment.base > from) {
        const previous: Segment | undefined =
          segment.gen === 0 ? undefined : findSegment(log, segment.gen - 1, HEADER_ONLY);
        if (previous === undefined) return GONE;
        segment = previous;
      }
      const start = findSegment(log, segment.gen, at(segment));
      if (start === undefined) return GONE;
      segment = start;
    }
  }
  const records: string[][] = [];
  for (;;) {
    const end = endOf(segment);
    for (let number = Math.max(from, segment.base) + 1; number <= end; number += 1) {
      if (records.length >= limit) return { tag, total: number - 1, records };
      records.push(recordAt(segment, segment.header + number - segment.base - 1));
    }
    if (segment.seal === undefined) return { tag, total: end, records };
    const next = findSegment(log, segment.gen + 1);
    if (next === undefined) return { tag, total: end, records };
    if (next.base !== end) return GONE;
    segment = next;
  }
}

/** Segment numbers of a log's named segments, in increasing order. */
export function namedSegments(log: string): number[] {
  const prefix = `${basename(log)}.`;
  return readdirSync(dirname(log))
    .filter((name) => name.startsWith(prefix) && /^[0-9a-z]+$/.test(name.slice(prefix.length)))
    .map((name) => parseInt(name.slice(prefix.length), 36))
    .sort((a, b) => a - b);
}
