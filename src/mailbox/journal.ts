/**
 * The journal: the delivery order of a mailbox, a record log (see `records.ts`) with one
 * record per delivered message. A message is delivered when its record is appended; the
 * record's index is the message's sequence number.
 *
 * ```text
 * <message id> <offset> <length>
 * ```
 *
 * The message id is `<process key>.<counter base 36>` (see `identity.ts`). The envelope is
 * `length` bytes at `offset` in `data/<process key>`, the sending process's data file, or, with
 * offset `-`, the whole of `data/<message id>`, a file of its own.
 */
import { join } from 'node:path';
import { encodeRecord } from './records.js';

/** A journal record: which message was delivered and where its envelope is. */
export interface Delivery {
  /** The message id: `<process key>.<counter base 36>`. */
  readonly id: string;
  /** The data file, relative to the mailbox's `data/` folder. */
  readonly file: string;
  /** Byte offset of the envelope in the data file. */
  readonly offset: number;
  /** Length of the envelope in bytes. */
  readonly length: number;
}

/** The process key part of a message id. */
function keyOf(id: string): string {
  return id.slice(0, id.lastIndexOf('.'));
}

/** Encodes a delivery; `ownFile`: the envelope is the whole of `data/<id>`. */
export function encodeDelivery(id: string, ownFile: boolean, offset: number, length: number): Buffer {
  return encodeRecord([id, ownFile ? '-' : offset, length]);
}

/** Decodes the fields of a journal record, or undefined if they are not a delivery. */
export function decodeDelivery(fields: readonly string[]): Delivery | undefined {
  const [id = '', offset = '', length = ''] = fields;
  if (fields.length !== 3 || !/^[0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+$/.test(id) || !/^\d+$/.test(length)) return undefined;
  if (offset === '-') return { id, file: id, offset: 0, length: Number(length) };
  if (!/^\d+$/.test(offset)) return undefined;
  return { id, file: keyOf(id), offset: Number(offset), length: Number(length) };
}

/** The path of a delivery's data file. */
export function dataPath(dataFolder: string, delivery: Delivery): string {
  return join(dataFolder, delivery.file);
}
