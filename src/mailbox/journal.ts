/**
 * The journal: the delivery order of a mailbox. Each delivery appends one fixed-size
 * record, `<message id padded with spaces to 47 bytes>\n`, in a single `write` on a file
 * opened with O_APPEND, which the kernel serialises: the order of records is the order in
 * which sends completed, and a record's index is its message's sequence number.
 */
import { open } from 'node:fs/promises';
import { isErrno } from '../errors.js';

/** Size of one journal record in bytes, newline included. */
export const RECORD_BYTES = 48;

/** Encodes a message id as a journal record. */
export function encodeRecord(id: string): Buffer {
  if (id.length > RECORD_BYTES - 1) throw new Error(`message id too long for the journal: ${id}`);
  return Buffer.from(`${id.padEnd(RECORD_BYTES - 1, ' ')}\n`);
}

/** Appends a record for message `id` with one write. */
export async function appendRecord(journal: string, id: string): Promise<void> {
  const handle = await open(journal, 'a', 0o600);
  try {
    await handle.write(encodeRecord(id));
  } finally {
    await handle.close();
  }
}

/**
 * Reads the ids of records `from` (0-based) onwards. A missing journal has no records.
 *
 * @returns the ids in journal order; index `i` of the result is record `from + i`.
 */
export async function readRecords(journal: string, from: number): Promise<string[]> {
  let handle;
  try {
    handle = await open(journal, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const count = Math.floor(size / RECORD_BYTES) - from;
    if (count <= 0) return [];
    const buffer = Buffer.alloc(count * RECORD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from * RECORD_BYTES);
    const ids: string[] = [];
    for (let at = 0; at + RECORD_BYTES <= bytesRead; at += RECORD_BYTES) {
      ids.push(buffer.toString('latin1', at, at + RECORD_BYTES - 1).trimEnd());
    }
    return ids;
  } finally {
    await handle.close();
  }
}

/**
 * Finds the sequence number of message `id`, searching from the end of the journal, where a
 * record just appended is.
 *
 * @returns the 1-based sequence number.
 * @throws {Error} if the journal holds no record for `id`.
 */
export async function findRecord(journal: string, id: string): Promise<number> {
  const handle = await open(journal, 'r');
  try {
    const { size } = await handle.stat();
    const records = Math.floor(size / RECORD_BYTES);
    const wanted = encodeRecord(id);
    const chunk = 256;
    for (let end = records; end > 0; end -= chunk) {
      const start = Math.max(0, end - chunk);
      const buffer = Buffer.alloc((end - start) * RECORD_BYTES);
      await handle.read(buffer, 0, buffer.length, start * RECORD_BYTES);
      for (let i = end - start - 1; i >= 0; i -= 1) {
        if (buffer.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES).equals(wanted)) return start + i + 1;
      }
    }
    throw new Error(`${journal}: no record for message ${id}`);
  } finally {
    await handle.close();
  }
}
