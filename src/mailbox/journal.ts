/**
 * The journal: the delivery order of a mailbox. Each delivery appends one fixed-size
 * record, `<message id padded with spaces to 47 bytes>\n`, in a single `write` on a file
 * opened with O_APPEND, which the kernel serialises: the order of records is the order in
 * which sends completed, and a record's index is its message's sequence number.
 *
 * Journal operations are a handful of small system calls, so they are made synchronously:
 * on a busy mailbox, a thread-pool round trip per call costs more than the calls themselves.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { isErrno } from '../errors.js';

/** Size of one journal record in bytes, newline included. */
export const RECORD_BYTES = 48;

/** Encodes a message id as a journal record. */
export function encodeRecord(id: string): Buffer {
  if (id.length > RECORD_BYTES - 1) throw new Error(`message id too long for the journal: ${id}`);
  return Buffer.from(`${id.padEnd(RECORD_BYTES - 1, ' ')}\n`);
}

/**
 * Appends a record for message `id` with one write, then finds its sequence number by reading
 * back from the end of the journal (other senders may have appended after it), on the same
 * file handle.
 *
 * @returns the 1-based sequence number of the record.
 */
export function appendRecord(journal: string, id: string): number {
  const fd = openSync(journal, 'a+', 0o600);
  try {
    const record = encodeRecord(id);
    writeSync(fd, record);
    const { size } = fstatSync(fd);
    // The record is almost always among the last few: read 16, then twice as many each time.
    for (
      let end = Math.floor(size / RECORD_BYTES), chunk = 16;
      end > 0;
      end -= chunk, chunk = Math.min(chunk * 2, 4096)
    ) {
      const start = Math.max(0, end - chunk);
      const buffer = Buffer.alloc((end - start) * RECORD_BYTES);
      readSync(fd, buffer, 0, buffer.length, start * RECORD_BYTES);
      for (let i = end - start - 1; i >= 0; i -= 1) {
        if (buffer.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES).equals(record)) return start + i + 1;
      }
    }
    throw new Error(`${journal}: the record of message ${id} is not in the journal after appending it`);
  } finally {
    closeSync(fd);
  }
}

/** A window of the journal: its first record's id (naming the journal), the size, and some records. */
export interface JournalWindow {
  /**
   * The id of record 1: a mailbox removed by `cleanup` and created again has a new journal
   * whose sequence starts again. (An inode number is no name: file systems reuse freed inodes.)
   */
  readonly first: string | undefined;
  /** How many whole records the journal holds. */
  readonly total: number;
  /** Ids of records `from` (0-based) onwards, at most `limit` of them. */
  readonly ids: readonly string[];
}

/**
 * Reads the first record and up to `limit` records from `from` (0-based) with one open. A
 * missing journal is empty.
 */
export function readJournal(journal: string, from: number, limit: number): JournalWindow {
  let fd: number;
  try {
    fd = openSync(journal, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return { first: undefined, total: 0, ids: [] };
    throw error;
  }
  try {
    const { size } = fstatSync(fd);
    const total = Math.floor(size / RECORD_BYTES);
    const count = Math.max(0, Math.min(limit, total - from));
    const firstBuffer = Buffer.allocUnsafe(total > 0 ? RECORD_BYTES : 0);
    if (total > 0) readSync(fd, firstBuffer, 0, RECORD_BYTES, 0);
    const buffer = Buffer.allocUnsafe(count * RECORD_BYTES);
    const bytesRead = count > 0 ? readSync(fd, buffer, 0, buffer.length, from * RECORD_BYTES) : 0;
    const ids: string[] = [];
    for (let at = 0; at + RECORD_BYTES <= bytesRead; at += RECORD_BYTES) ids.push(decodeRecord(buffer, at));
    return { first: total > 0 ? decodeRecord(firstBuffer, 0) : undefined, total, ids };
  } finally {
    closeSync(fd);
  }
}

function decodeRecord(buffer: Buffer, at: number): string {
  return buffer.toString('latin1', at, at + RECORD_BYTES - 1).trimEnd();
}
