/**
 * Record logs: the journal and the claims log of a mailbox are append-only files of fixed
 * 64-byte records, `<fields separated by spaces, padded with spaces to 63 bytes>\n`.
 *
 * Each record is appended with one `write` on a file opened with O_APPEND, which the kernel
 * serialises: the order of records is the order in which the appends completed, and a
 * record's 1-based index is its number in that order. 64 divides the file-system block size,
 * so a record never straddles two blocks and a full disk fails an append whole rather than
 * tearing it.
 *
 * Every operation is a handful of small system calls, made synchronously: on a busy mailbox,
 * a thread-pool round trip per call costs more than the calls themselves.
 */
import { closeSync, fstatSync, readSync, writeSync } from 'node:fs';
import { isErrno } from '../errors.js';
import { NO_FOLLOW, openNoFollowSync } from '../fs/guard.js';

/** Size of one record in bytes, newline included. */
export const RECORD_BYTES = 64;

/**
 * Encodes the fields of a record.
 *
 * @throws Error if a field is empty or holds a blank, a newline or a character that one
 *   latin1 byte cannot hold (it would not read back as written), or the record is longer than
 *   63 bytes (a bug: every field planspace writes is short and ASCII).
 */
export function encodeRecord(fields: readonly (string | number)[]): Buffer {
  const text = fields.join(' ');
  if (text.length > RECORD_BYTES - 1 || fields.some((field) => !/^[^\s\u0100-\uffff]+$/.test(String(field)))) {
    throw new Error(`not a valid ${RECORD_BYTES}-byte record: ${JSON.stringify(text)}`);
  }
  return Buffer.from(`${text.padEnd(RECORD_BYTES - 1, ' ')}\n`, 'latin1');
}

/** Splits a record into its fields. */
export function decodeRecord(buffer: Buffer, at = 0): string[] {
  return buffer
    .toString('latin1', at, at + RECORD_BYTES - 1)
    .trimEnd()
    .split(' ');
}

/** Records of a log read from some index on, and the log's first record, which names it. */
export interface RecordWindow {
  /**
   * Fields of record 1, or undefined for an empty log. A mailbox removed by `cleanup` and
   * created again has new logs whose numbering starts again; their first record tells them
   * apart (an inode number would not: file systems reuse freed inodes).
   */
  readonly first: readonly string[] | undefined;
  /** How many whole records the log holds. */
  readonly total: number;
  /** Fields of records `from` (0-based) to the end. */
  readonly records: readonly string[][];
}

const EMPTY: RecordWindow = { first: undefined, total: 0, records: [] };

/** Reads `[first record, records from..total)` of an open log. */
function readWindow(fd: number, from: number): RecordWindow {
  const total = Math.floor(fstatSync(fd).size / RECORD_BYTES);
  if (total === 0) return EMPTY;
  const start = Math.min(from, total);
  // Record 1 and the new records in one read when they are adjacent, as they are for a reader
  // that has just started.
  const readFrom = start <= 1 ? 0 : start;
  const buffer = Buffer.allocUnsafe((total - readFrom) * RECORD_BYTES);
  const bytesRead = readSync(fd, buffer, 0, buffer.length, readFrom * RECORD_BYTES);
  let firstBuffer = buffer;
  if (readFrom !== 0) {
    firstBuffer = Buffer.allocUnsafe(RECORD_BYTES);
    readSync(fd, firstBuffer, 0, RECORD_BYTES, 0);
  }
  const records: string[][] = [];
  for (let at = (start - readFrom) * RECORD_BYTES; at + RECORD_BYTES <= bytesRead; at += RECORD_BYTES) {
    records.push(decodeRecord(buffer, at));
  }
  return { first: decodeRecord(firstBuffer), total: start + records.length, records };
}

/**
 * Reads the records of a log from index `from` (0-based) to its end. A missing log is empty.
 *
 * @throws {UnsafePathError} if the log is a symbolic link.
 * @throws the `fs` error for anything but a missing file.
 */
export function readRecords(log: string, from: number): RecordWindow {
  let fd: number;
  try {
    fd = openNoFollowSync(log, NO_FOLLOW.read);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return EMPTY;
    throw error;
  }
  try {
    return readWindow(fd, from);
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends one record to a log, creating the file (0600) if its folder exists.
 *
 * @throws {UnsafePathError} if the log is a symbolic link; the `fs` error, ENOENT if the folder
 *   is gone; nothing is appended then.
 */
export function appendRecord(log: string, record: Buffer): void {
  const fd = openNoFollowSync(log, NO_FOLLOW.append);
  try {
    writeSync(fd, record);
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends one record, then reads the log from index `from` (0-based) to its end on the same
 * file handle, so that the caller learns the record's index and what was appended before it.
 *
 * @returns the window read, and `index`: the 1-based index of the appended record (the last
 *   record equal to it, searching from the end: others may have appended after it), or
 *   undefined if the log was replaced by a shorter one and the record is not after `from`.
 * @throws {UnsafePathError} if the log is a symbolic link; the `fs` error, ENOENT if the folder
 *   is gone; nothing is appended then.
 */
export function appendAndRead(
  log: string,
  record: Buffer,
  from: number,
): RecordWindow & { readonly index: number | undefined } {
  const fd = openNoFollowSync(log, NO_FOLLOW.appendRead);
  try {
    writeSync(fd, record);
    const window = readWindow(fd, from);
    const text = record.toString('latin1', 0, RECORD_BYTES - 1).trimEnd();
    for (let i = window.records.length - 1; i >= 0; i -= 1) {
      if (window.records[i]?.join(' ') === text)
        return { ...window, index: window.total - window.records.length + i + 1 };
    }
    return { ...window, index: undefined };
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends one record and returns its 1-based index, found by reading back from the end of the
 * log on the same file handle (others may have appended after it): 16 records, then twice as
 * many each time.
 *
 * @throws {UnsafePathError} if the log is a symbolic link; the `fs` error, ENOENT if the folder
 *   is gone; nothing is appended then.
 */
export function appendAndLocate(log: string, record: Buffer): number {
  const fd = openNoFollowSync(log, NO_FOLLOW.appendRead);
  try {
    writeSync(fd, record);
    const { size } = fstatSync(fd);
    for (
      let end = Math.floor(size / RECORD_BYTES), chunk = 16;
      end > 0;
      end -= chunk, chunk = Math.min(chunk * 2, 4096)
    ) {
      const start = Math.max(0, end - chunk);
      const buffer = Buffer.allocUnsafe((end - start) * RECORD_BYTES);
      readSync(fd, buffer, 0, buffer.length, start * RECORD_BYTES);
      for (let i = end - start - 1; i >= 0; i -= 1) {
        if (buffer.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES).equals(record)) return start + i + 1;
      }
    }
    throw new Error(`${log}: a record just appended is missing: ${record.toString('latin1').trimEnd()}`);
  } finally {
    closeSync(fd);
  }
}
