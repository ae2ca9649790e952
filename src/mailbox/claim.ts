/**
 * Claiming messages: exactly one receiver wins each message, and a message whose claimer
 * died before acknowledging it is claimed again by the next receiver (at-least-once).
 *
 * A receiver claims a message by renaming `messages/<id>` to `claimed/<seq>-<id>@<pid>`; a
 * rename succeeds for one process only. It acknowledges by deleting the claimed file once the
 * message is handled (for `recv`, printed). Claims whose pid is no longer alive are taken
 * over, oldest first, by renaming them to the new receiver's pid.
 */
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { faultPoint } from '../fault.js';
import { decodeMessage, type Message } from './envelope.js';
import { readRecords } from './journal.js';
import { isProcessAlive } from './liveness.js';
import type { MailboxPaths } from './paths.js';

/** A claimed message: acknowledge it once handled, or it is delivered again after this process dies. */
export interface ClaimedMessage extends Message {
  /** Deletes the claim: the message is consumed. Idempotent. */
  ack(): Promise<void>;
}

/** A file in `claimed/`, split into its parts. */
interface Claim {
  readonly file: string;
  readonly seq: number;
  readonly id: string;
  readonly pid: number;
}

function parseClaim(file: string): Claim | undefined {
  const match = /^(\d+)-(.+)@(\d+)$/.exec(file);
  if (!match) return undefined;
  return { file, seq: Number(match[1]), id: match[2] ?? '', pid: Number(match[3]) };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
}

/** Renames `from` to `to`; false if `from` is gone (another receiver won it). */
async function tryRename(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

/** Reads a claimed file as a message with an `ack` that deletes it. */
async function openClaim(paths: MailboxPaths, file: string, seq: number): Promise<ClaimedMessage> {
  faultPoint('mailbox-after-claim');
  const path = join(paths.claimed, file);
  const message = decodeMessage(await readFile(path), seq, path);
  return { ...message, ack: () => rm(path, { force: true }) };
}

/** Reads the shared cursor hint: how many leading records are known to be claimed. */
async function readCursor(paths: MailboxPaths): Promise<number> {
  try {
    const value = Number(await readFile(paths.cursor, 'utf8'));
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return 0;
    throw error;
  }
}

/** How far a reader moves past the shared hint before it rewrites it. */
const HINT_STRIDE = 16;

let cursorWrites = 0;

/** Writes the cursor hint atomically; a race may move it back a little, which only costs a re-scan. */
async function writeCursor(paths: MailboxPaths, value: number): Promise<void> {
  cursorWrites += 1;
  const temporary = join(paths.tmp, `cursor.${process.pid}.${cursorWrites}`);
  await writeFile(temporary, String(value));
  await rename(temporary, paths.cursor);
}

/** Where a reader stands in a mailbox's journal; keep one per reader to skip claimed records. */
export interface ReadPosition {
  cursor: number;
}

/**
 * Claims the next message: first any claim left by a dead receiver (oldest first), then the
 * first delivered, unclaimed message in journal order.
 *
 * @param paths - the mailbox.
 * @param position - the reader's position, advanced past records known to be claimed.
 * @returns the claimed message, or undefined if none is waiting.
 * @throws {MessageCorruptError} for a message file planspace did not write.
 */
export async function claimNext(paths: MailboxPaths, position: ReadPosition): Promise<ClaimedMessage | undefined> {
  const orphans = (await listDir(paths.claimed))
    .map(parseClaim)
    .filter((claim): claim is Claim => claim !== undefined && claim.pid !== process.pid && !isProcessAlive(claim.pid))
    .sort((a, b) => a.seq - b.seq);
  for (const orphan of orphans) {
    const file = `${orphan.seq}-${orphan.id}@${process.pid}`;
    if (await tryRename(join(paths.claimed, orphan.file), join(paths.claimed, file))) {
      return openClaim(paths, file, orphan.seq);
    }
  }

  const hint = await readCursor(paths);
  const start = Math.max(position.cursor, hint);
  const ids = await readRecords(paths.journal, start);
  // Every record whose message is no longer in messages/ is claimed for good (claims move only
  // within claimed/), so the reader's position can pass it. The shared hint is refreshed now
  // and then: a stale hint only costs a failed rename per record.
  const refreshHint = (): Promise<void> | undefined =>
    position.cursor - hint >= HINT_STRIDE ? writeCursor(paths, position.cursor) : undefined;
  for (const [offset, id] of ids.entries()) {
    const seq = start + offset + 1;
    const file = `${seq}-${id}@${process.pid}`;
    const won = await tryRename(join(paths.messages, id), join(paths.claimed, file));
    position.cursor = seq;
    if (won) {
      await refreshHint();
      return openClaim(paths, file, seq);
    }
  }
  await refreshHint();
  return undefined;
}

/**
 * Claims every message waiting in a mailbox, without waiting for more.
 *
 * @returns the claimed messages in sequence order, not yet acknowledged.
 */
export async function claimAll(paths: MailboxPaths): Promise<ClaimedMessage[]> {
  const position: ReadPosition = { cursor: 0 };
  const claimed: ClaimedMessage[] = [];
  for (let message = await claimNext(paths, position); message; message = await claimNext(paths, position)) {
    claimed.push(message);
  }
  return claimed.sort((a, b) => a.seq - b.seq);
}
