/**
 * Data files of a mailbox (`data/`, see `send.ts`): reading one envelope back, and deleting a
 * file once every message stored in it is acknowledged.
 */
import { closeSync, lstatSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { NO_FOLLOW, openNoFollowSync } from '../fs/guard.js';
import { readAtSync } from '../fs/read-at.js';
import { decodeMessage, MessageCorruptError, type Message } from './envelope.js';
import type { Delivery } from './journal.js';

/** A data file of one message is named by the message id, `<key>.<counter>`: two dots. */
export function holdsOneMessage(file: string): boolean {
  return file.indexOf('.') !== file.lastIndexOf('.');
}

/** Reads `length` bytes at `offset` of a file; fewer at its end. A link is refused, never followed. */
function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openNoFollowSync(path, NO_FOLLOW.read);
  try {
    return readAtSync(fd, length, offset);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the message a journal record delivers.
 *
 * @param dataFolder - the mailbox's `data/` folder.
 * @param seq - the message's sequence number, given to the message.
 * @throws {MessageCorruptError} if the data file is missing or holds something else there.
 * @throws the `fs` error for anything but a missing file.
 */
export function readDelivered(dataFolder: string, delivery: Delivery, seq: number): Message {
  const path = join(dataFolder, delivery.file);
  let bytes: Buffer;
  try {
    bytes = readRange(path, delivery.offset, delivery.length);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw new MessageCorruptError(path, `missing, though message ${seq} needs it`);
    throw error;
  }
  const message = decodeMessage(bytes, seq, `${path} at byte ${delivery.offset}`);
  if (message.id !== delivery.id) {
    throw new MessageCorruptError(path, `message ${seq} should be ${delivery.id}, found ${message.id}`);
  }
  return message;
}

/** Deletes a data file; one already deleted (by another reader) is fine. */
export function deleteDataFile(dataFolder: string, file: string): void {
  try {
    unlinkSync(join(dataFolder, file));
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
}

/**
 * The size of a data file in bytes, or undefined if it is gone (deleted by another reader).
 *
 * @throws the `fs` error for anything but a missing file.
 */
export function dataFileSize(dataFolder: string, file: string): number | undefined {
  return lstatSync(join(dataFolder, file), { throwIfNoEntry: false })?.size;
}
