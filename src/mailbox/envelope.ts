/**
 * The stored form of a message: a one-line JSON envelope, a newline, then the body bytes
 * exactly as sent (any bytes: binary, NUL, invalid UTF-8).
 *
 * ```text
 * {"id":"4711.3.m3x1k2.9f2c","sender":"scan","time":"2026-11-22T02:30:00.000Z","runId":"r-17","bytes":12}
 * done:3:scan
 * ```
 */
import { PlanspaceError } from '../errors.js';

/** Who sent a message, when, and for which run. */
export interface Envelope {
  /** Unique message id, chosen by the sender: `<pid>.<counter>.<time base 36>.<random>`. */
  readonly id: string;
  /** The sender's mailbox name (`--from`, default `$WORKFLOW_AGENT`), or null. */
  readonly sender: string | null;
  /** When the send started, ISO 8601. */
  readonly time: string;
  /** The engine's run id when the sender is a dispatched agent (`$WORKFLOW_RUN_ID`), or null. */
  readonly runId: string | null;
}

/** A received message: its envelope, its place in the mailbox's sequence, and its body. */
export interface Message extends Envelope {
  /** 1-based position in the mailbox's delivery order; later deliveries have larger numbers. */
  readonly seq: number;
  readonly body: Buffer;
}

/** A stored message file could not be read back (it was not written by planspace). */
export class MessageCorruptError extends PlanspaceError {
  constructor(path: string, reason: string) {
    super('E_MESSAGE_CORRUPT', `${path}: not a planspace message: ${reason}`);
  }
}

/** Encodes an envelope and body as the bytes of a message file. */
export function encodeMessage(envelope: Envelope, body: Uint8Array): Buffer {
  const header = JSON.stringify({ ...envelope, bytes: body.length });
  return Buffer.concat([Buffer.from(`${header}\n`), body]);
}

/**
 * Decodes a message file.
 *
 * @param bytes - the file's content.
 * @param seq - the message's sequence number (from the journal, not stored in the file).
 * @param path - used in the error message.
 * @throws {MessageCorruptError} if the header is missing or malformed, or the body length
 *   differs from the header's (a torn write, which atomic delivery rules out).
 */
export function decodeMessage(bytes: Buffer, seq: number, path: string): Message {
  const newline = bytes.indexOf(0x0a);
  if (newline === -1) throw new MessageCorruptError(path, 'no envelope line');
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(0, newline).toString('utf8'));
  } catch (error) {
    throw new MessageCorruptError(path, `bad envelope: ${(error as Error).message}`);
  }
  // `null` is valid JSON too, and destructuring it would throw a TypeError.
  if (typeof header !== 'object' || header === null)
    throw new MessageCorruptError(path, 'the envelope is not an object');
  const { id, sender, time, runId, bytes: length } = header as Record<string, unknown>;
  const body = bytes.subarray(newline + 1);
  if (typeof id !== 'string' || typeof time !== 'string' || length !== body.length) {
    throw new MessageCorruptError(path, 'envelope fields or body length do not match');
  }
  return {
    id,
    sender: typeof sender === 'string' ? sender : null,
    time,
    runId: typeof runId === 'string' ? runId : null,
    seq,
    body: Buffer.from(body),
  };
}
