import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { assertName } from '../names.js';
import { encodeMessage } from './envelope.js';
import { ensureMailbox } from './folders.js';
import { appendRecord } from './journal.js';
import { mailboxPaths } from './paths.js';

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

let sent = 0;

/** A message id unique across processes: pid, a per-process counter, time, randomness. */
function newMessageId(): string {
  sent += 1;
  const random = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${process.pid}.${sent}.${Date.now().toString(36)}.${random}`;
}

/**
 * Delivers a message to a mailbox, creating the mailbox if needed.
 *
 * Delivery is atomic and never overwrites another message: the message is written whole to
 * `messages/<id>` (a new file under a unique id) and only then recorded in the journal, whose
 * single-write record is the moment of delivery. Receivers find messages through the journal
 * only, so none ever sees a partial message, and the journal order (the sequence) is the order
 * the sends completed in.
 *
 * @param planspace - the planspace folder.
 * @param target - the mailbox name.
 * @param body - the body bytes, stored exactly (strings as UTF-8).
 * @throws {UsageError} for a bad target or sender name, before any file is touched.
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
  const id = newMessageId();
  const bytes = encodeMessage(
    { id, sender: options.from ?? null, time: new Date().toISOString(), runId: options.runId ?? null },
    typeof body === 'string' ? Buffer.from(body) : body,
  );
  // No receiver looks at a message before its journal record exists, so the file can be
  // written in place: until the record is appended it is not delivered, and a sender killed
  // before that leaves an undelivered file that `cleanup` removes.
  // Synchronous, like the journal append: a few small system calls cost less than the
  // thread-pool round trips that would carry them.
  const file = join(paths.messages, id);
  try {
    writeFileSync(file, bytes, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    await ensureMailbox(planspace, paths);
    writeFileSync(file, bytes, { flag: 'wx', mode: 0o600 });
  }
  return { id, seq: appendRecord(paths.journal, id) };
}
