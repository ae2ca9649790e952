/**
 * Record logs: the journal and the claims log of a mailbox are append-only files of fixed
 * 64-byte records, `<fields separated by spaces, padded with spaces to 63 bytes>\n`.
 *
 * Each record is appended with one `write` on a file opened with O_APPEND, which the kernel
 * serialises: the order of records is the order in which the appends completed, and a
 * record's place in the file is its place in that order (see `segments.ts` for how the
 * files of a log follow one another). 64 divides the file-system block size,
 * so a record never straddles two blocks and a full disk fails an append whole rather than
 * tearing it.
 *
 * Every operation is a handful of small system calls, made synchronously: on a busy mailbox,
 * a thread-pool round trip per call costs more than the calls themselves.
 */

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
