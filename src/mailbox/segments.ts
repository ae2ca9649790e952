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
 * Appending (`appendToLog`): one write to `journal` opened with O_APPEND, then the segment is
 * read back on the same handle from where the record can be, and from the record that fills
 * the segment (only the writer of that one seals it, after it: no seal comes earlier). A record
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
 * `journal.<g+1>`; they too read a segment from its filling record on, so that they see its
 * seal even when `journal` still links it while they are in the next one. Segments whose records a checkpoint covers are deleted (`collectSegments`);
 * a reader that lags behind them starts again from the checkpoint.
 */
import { closeSync, fstatSync, linkSync, lstatSync, openSync, renameSync, writeSync } from 'node:fs';
import { isErrno } from '../errors.js';
import { faultPoint } from '../fault.js';
import { NO_FOLLOW, openNoFollowSizeSync } from '../fs/guard.js';
import { encodeRecord, RECORD_BYTES } from './records.js';
import {
  findSegment,
  HEADER_ONLY,
  namedSegments,
  openSegment,
  readLog,
  readSegment,
  SEGMENT_RECORDS,
  segmentPath,
  windowOf,
  GONE,
  type LogWindow,
  type Segment,
} from './segment-read.js';
import { removeIfThere, sweepTemporaries, temporaryPath } from './temporaries.js';

export { GONE, readLog, SEGMENT_RECORDS, segmentPath, type LogWindow } from './segment-read.js';

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
