/**
 * Segmented record logs: the journal and the claims log of a mailbox are each a chain of
 * segments, so that what is read and acknowledged can be deleted while senders and receivers
 * keep appending without a lock.
 *
 * ```text
 * journal          the segment appended to: a hard link to the newest segment (or, in a
 *                  mailbox never rotated, segment 0 itself)
 * journal.<g>      segment g (base 36), 64-byte records (see `records.ts`):
 *                    h <g> <base> <tag>   header, in every segment but 0: the segment's first
 *                                         record is record base + 1 of the log; tag: the
 *                                         journal's first message id (`-` in the claims log)
 *                    ...                  the log's records
 *                    s <g>                seal: written once the segment is full; records after
 *                                         the first seal are not part of the log
 * claims, claims.<g>                      the same for the claims log
 * ```
 *
 * Appending (`appendToLog`): one write to `journal` opened with O_APPEND, then the whole
 * segment is read back on the same handle (at most about `SEGMENT_RECORDS` records). A record
 * before the segment's first seal, or in a segment with no seal, is in the log: a seal appended
 * later lands after it. A record after the seal came too late (its writer opened the segment
 * before the next one replaced it, or the rotation is not finished): the writer finishes the
 * rotation and appends again to the newer segment. No record is ever in the log twice.
 *
 * Rotation (`rotate`), by the writer whose record fills a segment, or by any writer that finds
 * itself after a seal: name the segment `journal.<g>` (segment 0 only), append the seal, create
 * `journal.<g+1>` with its header (exclusive: it has one possible content), then make
 * `journal` a link to it (temporary link + rename). Each step is idempotent; a writer killed
 * between two leaves the next writer to finish.
 *
 * Readers (`readLog`) follow the chain by name: segment g up to its first seal, then
 * `journal.<g+1>`. Segments whose records a checkpoint covers are deleted (`collectSegments`);
 * a reader that lags behind them starts again from the checkpoint.
 */
import {
  closeSync,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { isErrno } from '../errors.js';
import { faultPoint } from '../fault.js';
import { NO_FOLLOW, openNoFollowSizeSync } from '../fs/guard.js';
import { decodeRecord, encodeRecord, RECORD_BYTES } from './records.js';
import { removeIfThere, sweepTemporaries, temporaryPath } from './temporaries.js';

/** Records (the header excluded) after which a segment is sealed and a new one started. */
export const SEGMENT_RECORDS = 512;

/** Part of a segment, read from an open file. */
interface Segment {
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
const HEADER_ONLY = Number.MAX_SAFE_INTEGER;

const isSeal = (bytes: Buffer, at: number): boolean => bytes[at] === 0x73 && bytes[at + 1] === 0x20;

/** The path of segment `gen` of a log. */
export function segmentPath(log: string, gen: number): string {
  return `${log}.${gen.toString(36)}`;
}

/** Reads `length` bytes at `position` of an open file, fewer at its end. */
function readAt(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read);
}

/** What a segment's first record says: its number, first record's number, header and tag. */
type Head = Pick<Segment, 'gen' | 'base' | 'header' | 'tag'>;

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
function readSegment(fd: number, size: number, from: number | ((head: Head) => number) = 0): Segment {
  const count = Math.floor(size / RECORD_BYTES);
  let head: Head | undefined;
  let start = typeof from === 'number' ? from : 0;
  if (typeof from === 'function') {
    head = parseHead(count > 0 ? readAt(fd, RECORD_BYTES, 0) : undefined);
    start = from(head);
  }
  const first = Math.min(start, count);
  const bytes = readAt(fd, (count - first) * RECORD_BYTES, first * RECORD_BYTES);
  head ??= parseHead(count === 0 ? undefined : first === 0 ? bytes : readAt(fd, RECORD_BYTES, 0));
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
function openSegment(path: string, from: Parameters<typeof readSegment>[2] = 0): Segment | undefined {
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
function findSegment(log: string, gen: number, from: Parameters<typeof readSegment>[2] = 0): Segment | undefined {
  const named = openSegment(segmentPath(log, gen), from);
  if (named?.gen === gen) return named;
  const current = openSegment(log, from);
  return current?.gen === gen ? current : undefined;
}

/** The number of the last record of the log in a segment (the record before its first seal). */
const endOf = (segment: Segment): number => segment.base + (segment.seal ?? segment.count + 1) - 1 - segment.header;

/** The records of an unsealed segment after record `from`, read from before it. */
function windowOf(segment: Segment, from: number): LogWindow {
  const end = endOf(segment);
  const records: string[][] = [];
  for (let number = Math.max(from, segment.base) + 1; number <= end; number += 1) {
    records.push(recordAt(segment, segment.header + number - segment.base - 1));
  }
  return { tag: segment.tag, total: end, records };
}

/**
 * Reads a log's records after record `from` to its end, following the chain of segments. A
 * missing log is empty. Reads one segment, the current one, for a reader that keeps up.
 *
 * @returns the window (`total` below `from` and no records if the log holds fewer: a new
 *   one), or `GONE` if a segment holding some of those records was deleted.
 * @throws {UnsafePathError} if a segment is a symbolic link; the `fs` error for anything but a
 *   missing file.
 */
export function readLog(log: string, from: number): LogWindow | typeof GONE {
  // Usually the current segment holds record `from + 1`: read from there on the same handle.
  const at = (head: Head): number => (head.base <= from ? head.header + from - head.base : HEADER_ONLY);
  let segment = openSegment(log, at);
  if (segment === undefined) return { tag: undefined, total: 0, records: [] };
  const tag = segment.tag;
  if (segment.base > from) {
    // Back to the segment that holds it.
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
  const records: string[][] = [];
  for (;;) {
    const end = endOf(segment);
    for (let number = Math.max(from, segment.base) + 1; number <= end; number += 1) {
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
function namedSegments(log: string): number[] {
  const prefix = `${basename(log)}.`;
  return readdirSync(dirname(log))
    .filter((name) => name.startsWith(prefix) && /^[0-9a-z]+$/.test(name.slice(prefix.length)))
    .map((name) => parseInt(name.slice(prefix.length), 36))
    .sort((a, b) => a - b);
}

/** Creates segment `gen` with its header, unless it exists. */
function createSegment(log: string, gen: number, header: Buffer): void {
  const made = temporaryPath(log);
  const fd = openSync(made, 'wx', 0o600);
  try {
    writeSync(fd, header);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(made, segmentPath(log, gen));
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
  } finally {
    removeIfThere(made);
  }
}

/**
 * Makes the segment after sealed `segment` exist and `log` a link to it (or to a newer one).
 * Other writers may do the same at the same time; each step is idempotent.
 */
function advance(log: string, segment: Segment, seal: number): void {
  let gen = segment.gen + 1;
  if (findSegment(log, gen, HEADER_ONLY) === undefined) {
    const newest = Math.max(-1, ...namedSegments(log));
    if (newest > gen) {
      // Segment g+1 came and was deleted: this writer's segment is long gone.
      gen = newest;
    } else {
      const base = segment.base + seal - 1 - segment.header;
      createSegment(log, gen, encodeRecord(['h', gen.toString(36), base.toString(36), segment.tag ?? '-']));
      faultPoint('mailbox-rotate-after-create');
    }
  }
  linkCurrent(log, gen);
}

/** Makes `log` a link to segment `gen`, unless it links that one or a newer one already. */
function linkCurrent(log: string, gen: number): void {
  for (;;) {
    const current = openSegment(log, HEADER_ONLY);
    if (current !== undefined && current.gen >= gen) return;
    const link = temporaryPath(log);
    try {
      linkSync(segmentPath(log, gen), link);
    } catch (error) {
      const newest = Math.max(-1, ...namedSegments(log));
      // Deleted meanwhile, so not the newest: link the newest instead.
      if (!isErrno(error, 'ENOENT') || newest <= gen) throw error;
      gen = newest;
      continue;
    }
    renameSync(link, log);
    return;
  }
}

/**
 * Gives segment 0 its name, `log.0`, unless it has one: once rotated, `log` no longer reaches
 * it. A segment 0 already rotated and deleted (its records read and covered) needs none.
 */
function nameSegmentZero(log: string, fd: number): void {
  const zero = segmentPath(log, 0);
  try {
    linkSync(log, zero);
  } catch (error) {
    // EEXIST: named before. ENOENT: `log` was rotated and segment 0 deleted meanwhile (link
    // fails so for a file whose last name went while the call waited on the folder).
    if (isErrno(error, 'EEXIST') || isErrno(error, 'ENOENT')) return;
    throw error;
  }
  // `log` may have been rotated since this writer opened it: then the link names another
  // segment (segment 0 was named before that rotation, and deleted since).
  let named: number | undefined;
  try {
    named = lstatSync(zero).ino;
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  if (named !== undefined && named !== fstatSync(fd).ino) removeIfThere(zero);
}

/** Seals a full segment, open as `fd` and read to its end, and starts the next one. */
function rotate(log: string, fd: number, segment: Segment): void {
  if (segment.gen === 0) nameSegmentZero(log, fd);
  writeSync(fd, encodeRecord(['s', segment.gen.toString(36)]));
  faultPoint('mailbox-rotate-after-seal');
  // The first seal after the records read before counts: another writer's may have come first.
  const seal = readSegment(fd, fstatSync(fd).size, segment.count).seal;
  if (seal === undefined) throw new Error(`${log}: a seal just appended is missing`);
  advance(log, segment, seal);
}

/** The 1-based index in the file of the last record of a segment equal to `record`, or 0. */
function lastIndexOf(segment: Segment, record: Buffer): number {
  for (let i = segment.count - 1; i >= segment.first; i -= 1) {
    const at = (i - segment.first) * RECORD_BYTES;
    if (segment.bytes.subarray(at, at + RECORD_BYTES).equals(record)) return i + 1;
  }
  return 0;
}

/** How many times a record is appended again after landing in a sealed segment. */
const MAX_ATTEMPTS = 64;

/**
 * Appends one record to a log, creating it (0600) if its folder exists, and returns the
 * record's number in the log (1-based). A record that fills the segment starts a new one; one
 * that landed after a seal is appended again to the newer segment (see the file's header).
 * Only a record that fills a segment writes a seal, after itself, so the first
 * `SEGMENT_RECORDS` records of a segment have no seal before them: a writer among them reads
 * from where it appended, the others read the segment from there on. Fault
 * points (see `fault.ts`): `mailbox-rotate-after-seal`, `mailbox-rotate-after-create`.
 *
 * @throws {UnsafePathError} if the log or a segment is a symbolic link; the `fs` error, ENOENT
 *   if the folder is gone. Once this returns, the record is in the log, once; a writer killed
 *   after its write may have left it there too.
 */
export function appendToLog(log: string, record: Buffer): number {
  return append(log, record, undefined).number;
}

/**
 * Appends one record, as `appendToLog`, then reads the log after record `from` to its end (as
 * `readLog`), on the same file handle when its segment holds them: a receiver's claim learns
 * what came before it in one open.
 *
 * @returns the record's number, and the records after `from` (the record among them).
 * @throws as `appendToLog`.
 */
export function appendAndRead(
  log: string,
  record: Buffer,
  from: number,
): { readonly number: number; readonly window: LogWindow | typeof GONE } {
  const { number, window } = append(log, record, from);
  return { number, window: window ?? readLog(log, from) };
}

function append(
  log: string,
  record: Buffer,
  from: number | undefined,
): { number: number; window: LogWindow | undefined } {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const { fd, size: before } = openNoFollowSizeSync(log, NO_FOLLOW.appendRead);
    try {
      writeSync(fd, record);
      // From where the record can be (others may have appended before and after it), from the
      // record that fills the segment (a seal can only come after it), and from `from`.
      const segment = readSegment(fd, fstatSync(fd).size, (head) =>
        Math.min(
          Math.floor(before / RECORD_BYTES),
          head.header + SEGMENT_RECORDS - 1,
          from !== undefined && head.base <= from ? head.header + from - head.base : HEADER_ONLY,
        ),
      );
      const index = lastIndexOf(segment, record);
      if (index === 0) throw new Error(`${log}: a record just appended is missing`);
      if (segment.seal === undefined || index < segment.seal) {
        const number = segment.base + index - segment.header;
        if (segment.seal === undefined && index - segment.header >= SEGMENT_RECORDS) {
          rotate(log, fd, segment);
          return { number, window: undefined };
        }
        const window =
          from !== undefined && segment.base <= from && segment.seal === undefined
            ? windowOf(segment, from)
            : undefined;
        return { number, window };
      }
      advance(log, segment, segment.seal);
    } finally {
      closeSync(fd);
    }
  }
  throw new Error(`${log}: no segment took the record after ${MAX_ATTEMPTS} attempts`);
}

/**
 * Deletes the named segments of a log whose records are all at or below record `covered`
 * (never the one `log` links to), and temporary files of writers that died.
 *
 * @throws the `fs` error for anything but files deleted meanwhile.
 */
export function collectSegments(log: string, covered: number): void {
  const current = openSegment(log, HEADER_ONLY);
  for (const gen of namedSegments(log)) {
    if (current === undefined || gen >= current.gen) break;
    const next = findSegment(log, gen + 1, HEADER_ONLY);
    if (next === undefined || next.base > covered) break;
    removeIfThere(segmentPath(log, gen));
  }
  sweepTemporaries(log);
}
