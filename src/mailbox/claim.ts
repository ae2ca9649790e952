/**
 * Claiming messages: exactly one receiver wins each message, and a message whose claimer
 * died before acknowledging it is claimed again by the next receiver (at-least-once).
 *
 * A receiver claims a message by renaming `messages/<id>` to `claimed/<seq>-<id>@<pid>`; a
 * rename succeeds for one process only. It acknowledges by deleting the claimed file once the
 * message is handled (for `recv`, printed). Claims whose pid is no longer alive are taken
 * over, oldest first, by renaming them to the new receiver's pid.
 *
 * Claiming is a handful of small system calls (a directory listing, renames, reads of the
 * journal, the message and the cursor hint), made synchronously: on a busy mailbox a
 * thread-pool round trip per call costs more than the calls themselves. Reading an 8 MiB body
 * this way holds the event loop for a few milliseconds, which is acceptable for a mailbox.
 */
import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { faultPoint } from '../fault.js';
import { decodeMessage, type Message } from './envelope.js';
import { readJournal } from './journal.js';
import { isProcessAlive } from './liveness.js';
import type { MailboxPaths } from './paths.js';

/** A claimed message: acknowledge it once handled, or it is delivered again after this process dies. */
export interface ClaimedMessage extends Message {
  /** Deletes the claim: the message is consumed. Idempotent. */
  ack(): Promise<void>;
}

/** A file in `claimed/`, split into its parts. */
export interface Claim {
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

/** Lists a folder; a missing folder is empty. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
}

/** Renames `from` to `to`; false if `from` is gone (another receiver won it). */
function tryRename(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

/** Reads a claimed file as a message with an `ack` that deletes it. */
function openClaim(paths: MailboxPaths, file: string, seq: number): ClaimedMessage {
  faultPoint('mailbox-after-claim');
  const path = join(paths.claimed, file);
  const message = decodeMessage(readFileSync(path), seq, path);
  return {
    ...message,
    ack: () => {
      try {
        unlinkSync(path);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
      }
      return Promise.resolve();
    },
  };
}

/** Reads the shared cursor hint: how many leading records are known to be claimed. */
export function readCursor(paths: MailboxPaths): number {
  try {
    const value = Number(readFileSync(paths.cursor, 'utf8'));
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
function writeCursor(paths: MailboxPaths, value: number): void {
  cursorWrites += 1;
  const temporary = join(paths.tmp, `cursor.${process.pid}.${cursorWrites}`);
  writeFileSync(temporary, String(value));
  renameSync(temporary, paths.cursor);
}

/** Where a reader stands in a mailbox; keep one per reader across claims. */
export interface ReadPosition {
  /** Records before this one (0-based) are known to be claimed. */
  cursor: number;
  /** The first record of the journal `cursor` counts in (see `JournalWindow.first`). */
  journal?: string;
  /** When claims of dead receivers were last looked for (ms since the epoch); 0: never. */
  orphansCheckedAt?: number;
  /** Whether the shared cursor hint has been read. */
  hintRead?: boolean;
}

/** How often a busy reader looks for claims left by dead receivers, in ms. */
const ORPHAN_SCAN_MS = 1000;

/** How many journal records one read takes. */
const WINDOW = 64;

/** Claims whose receiver died (never this process's own), oldest first: they are delivered again. */
export function orphanedClaims(paths: MailboxPaths): Claim[] {
  return listDir(paths.claimed)
    .map(parseClaim)
    .filter((claim): claim is Claim => claim !== undefined && claim.pid !== process.pid && !isProcessAlive(claim.pid))
    .sort((a, b) => a.seq - b.seq);
}

/** Takes over the oldest claim whose receiver died, if there is one. */
function claimOrphan(paths: MailboxPaths): ClaimedMessage | undefined {
  for (const orphan of orphanedClaims(paths)) {
    const file = `${orphan.seq}-${orphan.id}@${process.pid}`;
    if (tryRename(join(paths.claimed, orphan.file), join(paths.claimed, file))) {
      return openClaim(paths, file, orphan.seq);
    }
  }
  return undefined;
}

/**
 * Claims the next message: any claim left by a dead receiver (looked for on a reader's first
 * call, then at most once a second, and whenever nothing else is waiting), then the first
 * delivered, unclaimed message in journal order.
 *
 * @param paths - the mailbox.
 * @param position - the reader's position, advanced past records known to be claimed.
 * @returns the claimed message, or undefined if none is waiting.
 * @throws {MessageCorruptError} for a message file planspace did not write.
 */
export function claimNext(paths: MailboxPaths, position: ReadPosition): ClaimedMessage | undefined {
  const now = Date.now();
  const orphansDue = now - (position.orphansCheckedAt ?? 0) >= ORPHAN_SCAN_MS;
  if (orphansDue) {
    position.orphansCheckedAt = now;
    const orphan = claimOrphan(paths);
    if (orphan) return orphan;
  }
  let hint = position.cursor;
  if (position.hintRead !== true) {
    position.hintRead = true;
    hint = readCursor(paths);
  }
  // Every record whose message is no longer in messages/ is claimed for good (claims move only
  // within claimed/), so the reader's position can pass it. The shared hint is refreshed now
  // and then: a stale hint only costs a failed rename per record.
  const refreshHint = (): void => {
    if (position.cursor - hint >= HINT_STRIDE) writeCursor(paths, position.cursor);
  };
  for (;;) {
    const start = Math.max(position.cursor, hint);
    const window = readJournal(paths.journal, start, WINDOW);
    if (window.first !== position.journal) {
      // A mailbox removed by cleanup and created again starts its sequence again, and so
      // does the reader, or it would skip the new mailbox's first messages.
      const known = position.journal !== undefined;
      position.journal = window.first;
      if (known || start > window.total) {
        position.cursor = 0;
        hint = 0;
        continue;
      }
    }
    for (const [offset, id] of window.ids.entries()) {
      const seq = start + offset + 1;
      const file = `${seq}-${id}@${process.pid}`;
      const won = tryRename(join(paths.messages, id), join(paths.claimed, file));
      position.cursor = seq;
      if (won) {
        refreshHint();
        return openClaim(paths, file, seq);
      }
    }
    if (start + window.ids.length >= window.total) break;
  }
  refreshHint();
  if (!orphansDue) {
    position.orphansCheckedAt = now;
    return claimOrphan(paths);
  }
  return undefined;
}

/**
 * Claims every message waiting in a mailbox, without waiting for more.
 *
 * @returns the claimed messages in sequence order, not yet acknowledged.
 */
export function claimAll(paths: MailboxPaths): ClaimedMessage[] {
  const position: ReadPosition = { cursor: 0 };
  const claimed: ClaimedMessage[] = [];
  for (let message = claimNext(paths, position); message; message = claimNext(paths, position)) {
    claimed.push(message);
  }
  return claimed.sort((a, b) => a.seq - b.seq);
}
