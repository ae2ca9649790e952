import { closeSync, existsSync, fstatSync, ftruncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { FILE_MODE, NO_FOLLOW, openNoFollowSync } from '../fs/guard.js';
import { namePath } from '../fs/io-error.js';
import { assertName } from '../names.js';
import { encodeMessage } from './envelope.js';
import { assertMailboxFolders, ensureMailbox } from './folders.js';
import { PROCESS_KEY } from './identity.js';
import { encodeDelivery } from './journal.js';
import { mailboxPaths, type MailboxPaths } from './paths.js';
import { appendToLog } from './segments.js';

/** Options of `send`. */
export interface SendOptions {
  /** The sender's mailbox name, recorded in the envelope. Default: none. */
  readonly from?: string;
  /** The engine's run id, recorded in the envelope. Default: none. */
  readonly runId?: string;
}

/** What `send` returns: the message's id and its sequence number in the target mailbox. */
export interface SendResult {
  readonly id: string;
  readonly seq: number;
}

/** Envelopes larger than this (in bytes) get a data file of their own, deleted once consumed. */
export const SHARED_DATA_MAX = 64 * 1024;

let sent = 0;

/**
 * Stores an envelope: appended to this process's data file, which only this process writes
 * (so the offset is the size before the write), or, if large, in a new file of its own. A
 * failed write (a full disk) is taken back: no record points to its bytes, so no reader would
 * ever delete them.
 *
 * @returns the journal record that delivers it.
 * @throws the `fs` error, naming the data file.
 */
function store(paths: MailboxPaths, id: string, envelope: Buffer): Buffer {
  if (envelope.length > SHARED_DATA_MAX) {
    const file = join(paths.data, id);
    try {
      // Exclusive: a link in its place fails with EEXIST rather than being followed.
      writeFileSync(file, envelope, { flag: 'wx', mode: FILE_MODE });
    } catch (error) {
      // Message ids are unique, so a file that exists now was made by this failed write.
      if (existsSync(file)) unlinkSync(file);
      throw namePath(error, file);
    }
    return encodeDelivery(id, true, 0, envelope.length);
  }
  const file = join(paths.data, PROCESS_KEY);
  const fd = openNoFollowSync(file, NO_FOLLOW.append);
  try {
    const offset = fstatSync(fd).size;
    try {
      for (let written = 0; written < envelope.length;) written += writeSync(fd, envelope, written);
    } catch (error) {
      ftruncateSync(fd, offset);
      // Empty, it holds no message of this process: nothing would ever delete it.
      if (offset === 0) unlinkSync(file);
      throw namePath(error, file);
    }
    return encodeDelivery(id, false, offset, envelope.length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Delivers a message to a mailbox, creating the mailbox if needed.
 *
 * Delivery is atomic and never overwrites another message: the envelope is stored whole
 * first (see `store`), and only then is its journal record appended, in one write whose
 * completion is the moment of delivery. Receivers find messages through the journal only, so
 * none ever sees a partial message, and the journal order (the sequence) is the order the
 * sends completed in. A sender killed between the two steps leaves bytes that no record
 * points to: nothing is delivered.
 *
 * Sending allocates no file for a message of up to 64 KiB: on a busy mailbox, creating and
 * deleting a file per message costs more than everything else a send does.
 *
 * @param planspace - the planspace folder.
 * @param target - the mailbox name.
 * @param body - the body bytes, stored exactly (strings as UTF-8).
 * @throws {UsageError} for a bad target or sender name, before any file is touched.
 * @throws {UnsafePathError} for a planspace or mailboxes folder that another user owns or may
 *   write to, or a link among the mailbox's folders and files; nothing is delivered.
 * @throws the `fs` error if the planspace is missing or not writable; nothing is delivered.
 */
export async function send(
  planspace: string,
  target: string,
  body: Uint8Array | string,
  options: SendOptions = {},
): Promise<SendResult> {
  const paths = mailboxPaths(planspace, target);
  if (options.from !== undefined) assertName('sender', options.from);
  assertMailboxFolders(paths);
  sent += 1;
  const id = `${PROCESS_KEY}.${sent.toString(36)}`;
  const envelope = encodeMessage(
    { id, sender: options.from ?? null, time: new Date().toISOString(), runId: options.runId ?? null },
    typeof body === 'string' ? Buffer.from(body) : body,
  );
  // Synchronous, like the journal append: a few small system calls cost less than the
  // thread-pool round trips that would carry them.
  let record: Buffer;
  try {
    record = store(paths, id, envelope);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    await ensureMailbox(planspace, paths);
    record = store(paths, id, envelope);
  }
  try {
    return { id, seq: appendToLog(paths.journal, record) };
  } catch (error) {
    throw namePath(error, paths.journal);
  }
}
