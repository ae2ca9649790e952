/**
 * The checkpoint of a mailbox: what a reader knows after reading the journal up to record N
 * and the claims log up to record M, so that the next reader starts there instead of
 * replaying every message the mailbox ever held.
 *
 * ```text
 * <mailbox>/checkpoint.<journal>.<claims>.<tag>   one JSON document, written whole (temporary
 *                      file + rename), named by the records it covers (base 36) and the tag
 *
 * {"format":2,"tag":"2bk.0f3a1c.1","journal":100000,"claims":200000,"settled":99998,
 *  "deliveries":[[99999,"2bk.0f3a1c.1hsj","6400000",97],[100000,"2bk.0f3a1c.1hsk","6400097",97]],
 *  "held":[[99999,"2bl.x81k2q"]],"acked":[[100000,100000]],
 *  "files":[["2bk.0f3a1c",100000,99998,9700000]]}
 * ```
 *
 * - `tag`: the journal's first message id, which names this incarnation of the mailbox;
 * - `journal`, `claims`: how many records of each log the state covers (N and M);
 * - `settled`: messages 1 to `settled` are all acknowledged;
 * - `deliveries`: `[seq, message id, offset or "-", length]` of every message above `settled`
 *   not yet acknowledged (the journal record's fields, see `journal.ts`);
 * - `held`: `[seq, owner process key]` of every message claimed and not yet acknowledged;
 * - `acked`: `[first seq, last seq]` runs of the messages above `settled` acknowledged (one run,
 *   however long, behind a message a live receiver holds for long);
 * - `files`: `[data file, messages stored in it, messages of it acknowledged, bytes of those
 *   messages]` of every data file not yet deleted, counting the messages of the `journal`
 *   records covered only (format 1 had no bytes: they count as unknown).
 *
 * The journal records covered are those a reader has read, which need not be all of them: a
 * reader reads the journal only a little ahead of the first unclaimed message, so that a
 * mailbox with a large backlog costs it no more than an empty one (see `reader.ts`). The
 * deliveries of the messages after `journal` are still in the journal, whose segments after
 * the kept checkpoints' `journal` stay.
 *
 * Data files missing from `files` were deleted because their messages were all acknowledged
 * and their writer had exited: the checkpoint is how readers remember dead senders without
 * asking the system about each of them again.
 *
 * Any reader may write a checkpoint; each is a new file, so that none replaces a newer one.
 * Readers start from the newest that describes the mailbox's current journal and that the logs
 * reach (a damaged one, or one of a mailbox since removed and created again, is passed over).
 * The two newest are kept, and log segments (see `segments.ts`) whose records both cover are
 * deleted: one damaged checkpoint leaves another to start from. A writer
 * killed at any moment leaves, at worst, its temporary file (`.checkpoint.<pid>.<n>.tmp`,
 * removed by the next writer once that pid is dead); no message is lost or delivered twice.
 * A `checkpoint` file without numbers, from an earlier version, is read like the others, and so
 * is format 1.
 */
import { closeSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isErrno } from '../errors.js';
import { faultPoint } from '../fault.js';
import { NO_FOLLOW, openNoFollowSync } from '../fs/guard.js';
import { decodeDelivery, type Delivery } from './journal.js';
import { removeIfThere, sweepTemporaries, temporaryPath } from './temporaries.js';

/** A reader's state after reading `journal` journal records and `claims` claims records. */
export interface Checkpoint {
  /** The journal's first message id: which incarnation of the mailbox this describes. */
  readonly tag: string;
  /** Journal records covered (the highest sequence number known). */
  readonly journal: number;
  /** Claims log records covered. */
  readonly claims: number;
  /** Messages 1 to `settled` are all acknowledged. */
  readonly settled: number;
  /** Deliveries of the messages above `settled` not yet acknowledged, by sequence number. */
  readonly deliveries: ReadonlyMap<number, Delivery>;
  /** Owners of the messages claimed and not yet acknowledged, by sequence number. */
  readonly held: ReadonlyMap<number, string>;
  /** The messages above `settled` acknowledged, as `[first, last]` runs in increasing order. */
  readonly acked: readonly (readonly [number, number])[];
  /**
   * Data files not yet deleted: messages stored, messages acknowledged, bytes of the messages
   * stored (-1 if unknown: a format 1 checkpoint).
   */
  readonly files: ReadonlyMap<string, { readonly frames: number; readonly acked: number; readonly bytes: number }>;
}

/** Encodes a checkpoint as its file content (one line of JSON). */
export function encodeCheckpoint(checkpoint: Checkpoint): string {
  const { tag, journal, claims, settled } = checkpoint;
  const deliveries = [...checkpoint.deliveries].map(([seq, { id, file, offset, length }]) => [
    seq,
    id,
    file === id ? '-' : String(offset),
    length,
  ]);
  const held = [...checkpoint.held];
  const { acked } = checkpoint;
  const files = [...checkpoint.files].map(([name, { frames, acked: done, bytes }]) => [name, frames, done, bytes]);
  return `${JSON.stringify({ format: 2, tag, journal, claims, settled, deliveries, held, acked, files })}\n`;
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isKey = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-z.]{1,40}$/.test(value);

/** The rows of a table field, if it is an array of arrays of `width` items. */
function rows(value: unknown, width: number): unknown[][] | undefined {
  if (!Array.isArray(value)) return undefined;
  const table = value as unknown[];
  return table.every((row) => Array.isArray(row) && row.length === width) ? (table as unknown[][]) : undefined;
}

/**
 * Decodes a checkpoint file's content.
 *
 * @returns the checkpoint, or a reason it is not one (any damage: readers then replay the logs).
 */
export function decodeCheckpoint(text: string): Checkpoint | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  if (typeof value !== 'object' || value === null) return 'not an object';
  const { format, tag, journal, claims, settled } = value as Record<string, unknown>;
  if (format !== 1 && format !== 2) return `unknown format ${JSON.stringify(format)}`;
  // `settled` may exceed `journal`: a reader may read acknowledgements of messages it has not
  // read the journal records of yet.
  if (!isKey(tag) || !isCount(journal) || !isCount(claims) || !isCount(settled)) {
    return 'bad tag or counts';
  }
  const record = value as Record<string, unknown>;
  const deliveryRows = rows(record.deliveries, 4);
  const heldRows = rows(record.held, 2);
  const ackedRows = rows(record.acked, 2);
  const fileRows = rows(record.files, format === 1 ? 3 : 4);
  if (!deliveryRows || !heldRows || !ackedRows || !fileRows) return 'bad tables';
  const deliveries = new Map<number, Delivery>();
  for (const [seq, id, offset, length] of deliveryRows) {
    const delivery = decodeDelivery([String(id), String(offset), String(length)]);
    if (!isCount(seq) || seq <= settled || seq > journal || delivery === undefined)
      return `bad delivery ${String(seq)}`;
    deliveries.set(seq, delivery);
  }
  const held = new Map<number, string>();
  for (const [seq, owner] of heldRows) {
    if (!isCount(seq) || seq <= settled || !isKey(owner)) return `bad held message ${String(seq)}`;
    held.set(seq, owner);
  }
  const acked: [number, number][] = [];
  for (const [from, to] of ackedRows) {
    if (!isCount(from) || !isCount(to) || from <= settled || to < from || held.has(from) || held.has(to)) {
      return `bad acknowledged run ${String(from)}-${String(to)}`;
    }
    acked.push([from, to]);
  }
  const files = new Map<string, { frames: number; acked: number; bytes: number }>();
  for (const [name, frames, acked, bytes = -1] of fileRows) {
    if (!isKey(name) || !isCount(frames) || !isCount(acked) || acked > frames || !(bytes === -1 || isCount(bytes))) {
      return `bad file ${String(name)}`;
    }
    files.set(name, { frames, acked, bytes });
  }
  return { tag, journal, claims, settled, deliveries, held, acked, files };
}

/** A checkpoint file, named by what it covers and the journal it describes. */
interface CheckpointFile {
  readonly path: string;
  /** Journal and claims records it covers; -1 for an unnamed one of an earlier version. */
  readonly journal: number;
  readonly claims: number;
  /** The journal's tag, or undefined for an unnamed one. */
  readonly tag: string | undefined;
}

/** The name of a checkpoint file: `checkpoint.<journal>.<claims>.<tag>` (numbers in base 36). */
function checkpointName(base: string, { journal, claims, tag }: Checkpoint): string {
  return `${base}.${journal.toString(36)}.${claims.toString(36)}.${tag}`;
}

/** The checkpoint files of a mailbox, newest first; `base` is `<mailbox>/checkpoint`. */
function listCheckpoints(base: string): CheckpointFile[] {
  const prefix = `${basename(base)}.`;
  let entries: string[];
  try {
    entries = readdirSync(dirname(base));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  const files: CheckpointFile[] = [];
  for (const entry of entries) {
    if (entry === basename(base)) files.push({ path: base, journal: -1, claims: -1, tag: undefined });
    if (!entry.startsWith(prefix)) continue;
    const match = /^([0-9a-z]+)\.([0-9a-z]+)\.([0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+)$/.exec(entry.slice(prefix.length));
    if (match) {
      const [, journal = '', claims = '', tag] = match;
      files.push({
        path: join(dirname(base), entry),
        journal: parseInt(journal, 36),
        claims: parseInt(claims, 36),
        tag,
      });
    }
  }
  return files.sort((a, b) => b.journal + b.claims - (a.journal + a.claims));
}

/**
 * Journal and claims log records that the newest checkpoint of the journal tagged `tag`
 * covers, from the names of the files alone.
 *
 * @param base - `<mailbox>/checkpoint` (see `MailboxPaths`).
 * @returns the records, or -1 if there is none.
 * @throws the `fs` error of listing the mailbox's folder, for anything but a missing folder.
 */
export function newestCheckpointCovers(base: string, tag: string): number {
  const newest = listCheckpoints(base).find((file) => file.tag === tag);
  return newest === undefined ? -1 : newest.journal + newest.claims;
}

/**
 * Reads one checkpoint file.
 *
 * @returns the checkpoint, or undefined if it is gone or damaged.
 * @throws {UnsafePathError} if it is a symbolic link (never followed).
 * @throws the `fs` error for anything but a missing file.
 */
function readCheckpointFile(path: string): Checkpoint | undefined {
  let text: string;
  try {
    const fd = openNoFollowSync(path, NO_FOLLOW.read);
    try {
      text = readFileSync(fd, 'latin1');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  const checkpoint = decodeCheckpoint(text);
  return typeof checkpoint === 'string' ? undefined : checkpoint;
}

/**
 * Reads a mailbox's checkpoints, newest first, passing over damaged ones, until `accept`
 * takes one.
 *
 * @param base - `<mailbox>/checkpoint` (see `MailboxPaths`).
 * @returns the checkpoint taken, or undefined.
 * @throws {UnsafePathError} if a checkpoint file is a symbolic link (never followed).
 */
export function readCheckpoint(base: string, accept: (checkpoint: Checkpoint) => boolean): Checkpoint | undefined {
  for (const { path } of listCheckpoints(base)) {
    const checkpoint = readCheckpointFile(path);
    if (checkpoint !== undefined && accept(checkpoint)) return checkpoint;
  }
  return undefined;
}

/**
 * Errors that leave a checkpoint unwritten without harm: the mailbox was removed meanwhile, or
 * the planspace is read-only or full (a `mailbox check` must still answer there).
 */
const HARMLESS = ['ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT'];

/**
 * Writes a new checkpoint file, `<base>.<journal>.<claims>`, atomically (a temporary file in
 * the same folder, then a rename); then removes temporary files of writers that died. Fault
 * points (see `fault.ts`): `mailbox-checkpoint-before-rename` (the temporary file is written)
 * and `mailbox-checkpoint-after-rename`.
 *
 * @param base - `<mailbox>/checkpoint` (see `MailboxPaths`).
 * @returns true if written, false if a harmless error (see `HARMLESS`) prevented it; the
 *   temporary file is removed then.
 * @throws any other `fs` error.
 */
export function writeCheckpoint(base: string, checkpoint: Checkpoint): boolean {
  const temporary = temporaryPath(base);
  const path = checkpointName(base, checkpoint);
  try {
    const bytes = Buffer.from(encodeCheckpoint(checkpoint), 'latin1');
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
    } finally {
      closeSync(fd);
    }
    faultPoint('mailbox-checkpoint-before-rename');
    renameSync(temporary, path);
  } catch (error) {
    if (!HARMLESS.some((code) => isErrno(error, code))) throw error;
    removeIfThere(temporary);
    return false;
  }
  faultPoint('mailbox-checkpoint-after-rename');
  sweepTemporaries(base);
  return true;
}

/** How many checkpoints are kept. */
const KEPT = 2;

/**
 * Deletes every checkpoint of a mailbox but the `KEPT` newest of the journal tagged `tag`
 * (older ones, those of an earlier incarnation of the mailbox, and one from an earlier
 * version), from their names alone.
 *
 * @param base - `<mailbox>/checkpoint` (see `MailboxPaths`).
 * @returns if `KEPT` were found, the records of each log that all of them cover: no reader
 *   needs those any more; otherwise undefined.
 * @throws the `fs` error for anything but files deleted meanwhile.
 */
export function collectCheckpoints(
  base: string,
  tag: string,
): { readonly journal: number; readonly claims: number } | undefined {
  const kept: CheckpointFile[] = [];
  const files = listCheckpoints(base);
  for (const file of files) if (file.tag === tag && kept.length < KEPT) kept.push(file);
  if (kept.length < KEPT) return undefined;
  for (const file of files) if (!kept.includes(file)) removeIfThere(file.path);
  return {
    journal: Math.min(...kept.map(({ journal }) => journal)),
    claims: Math.min(...kept.map(({ claims }) => claims)),
  };
}
