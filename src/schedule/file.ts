/**
 * The schedule file layer: read and parse `schedule.md`, and change it under an
 * inter-process lock with an atomic write.
 */
import { accessSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isErrno, PlanspaceError, ScheduleNotFoundError } from '../errors.js';
import { writeFileAtomicSync } from '../fs/atomic.js';
import { assertOwnFolder } from '../fs/guard.js';
import { readRegularFileSync } from '../fs/regular-file.js';
import { withFileLock } from '../fs/lock.js';
import { decodeSchedule } from './decode.js';
import { parseSchedule } from './parse.js';
import type { Schedule } from './step.js';
import { fileVersion } from './version.js';

/**
 * Reads and parses a schedule file.
 *
 * @param path - the schedule file, usually `<planspace>/schedule.md`.
 * @throws {ScheduleNotFoundError} if the file does not exist.
 * @throws {ScheduleSyntaxError} if it is binary, not UTF-8, or does not fit the grammar.
 * @throws {NotRegularFileError} if it is a FIFO, socket, device or folder (read without blocking).
 * @throws {FileTooLargeError} if it is larger than `MAX_READ_BYTES` (64 MiB; nothing read).
 * @throws {PlanspaceError} `E_IO` naming the file for any other read error.
 */
export async function readScheduleFile(path: string): Promise<Schedule> {
  return parseSchedule(await readScheduleText(path), path);
}

/**
 * Reads a schedule file as text, for callers that parse it themselves (`scanSchedule`). The
 * read itself is synchronous (see `readScheduleTextSync`); errors reject the promise.
 *
 * @throws as `readScheduleFile`, except for the grammar: {ScheduleSyntaxError} only for
 *   binary or non-UTF-8 content.
 */
export function readScheduleText(path: string): Promise<string> {
  return new Promise((resolve) => {
    resolve(readScheduleTextSync(path));
  });
}

/**
 * `readScheduleText` without yielding: a schedule is read under its lock, and at the start of
 * every verb and run, where four thread-pool round trips cost more than the read.
 *
 * @throws as `readScheduleText`.
 */
function readScheduleTextSync(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readRegularFileSync(path);
  } catch (error) {
    // Not a regular file, or too big to read: the error says so already.
    if (error instanceof PlanspaceError) throw error;
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) throw new ScheduleNotFoundError(path, { cause: error });
    // Some fs errors (EISDIR from a read) do not name the file; this one always does.
    throw new PlanspaceError('E_IO', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return decodeSchedule(bytes, path);
}

/** What a change of a schedule returns: the new text (undefined: no write) and a result. */
export interface ScheduleChange<T> {
  readonly text?: string;
  readonly result: T;
}

/**
 * Changes a schedule file safely against concurrent writers: takes the lock
 * (`<path>.lock`), re-reads and parses the file under it, applies `change`, and writes the
 * new text atomically if it differs. Any number of processes may call this at once; no
 * update is lost.
 *
 * @param path - the schedule file.
 * @param change - a pure function of the current schedule; it may throw to abort the
 *   change, in which case nothing is written.
 * @returns the change's result.
 * @throws {ScheduleNotFoundError} / {ScheduleSyntaxError} as `readScheduleFile`, before
 *   anything is written; {LockError} if the lock cannot be taken or is lost;
 *   {UnsafePathError} if another user owns the planspace folder or others may write to it.
 */
export async function updateScheduleFile<T>(
  path: string,
  change: (schedule: Schedule) => ScheduleChange<T>,
): Promise<T> {
  return updateScheduleText(path, (text) => change(parseSchedule(text, path)));
}

/**
 * `updateScheduleFile` for callers that parse the text themselves: `change` gets the text as
 * read under the lock (decoded; see `readScheduleText`) and must parse it with
 * `parseSchedule`, or prove that `parseSchedule` would accept it (`scanSchedule`).
 *
 * @throws as `updateScheduleFile`.
 */
export async function updateScheduleText<T>(path: string, change: (text: string) => ScheduleChange<T>): Promise<T> {
  return (await changeScheduleText(path, change)).result;
}

/** What `changeScheduleText` did: the change's result, and the file versions around its write. */
export interface ScheduleTextChange<T> {
  readonly result: T;
  /**
   * When it wrote: the version (`fileVersion`) of the file it read, taken after the read, and
   * of the file it wrote, taken before the rename. Undefined when nothing was written.
   */
  readonly written?: { readonly before: string; readonly after: string };
}

/**
 * `updateScheduleText` that also tells the versions of the file before and after its write:
 * a writer that only appended can tell the engine so, and the engine reads only the new bytes
 * (`ScheduleCache.noteAppend`).
 *
 * @throws as `updateScheduleFile`.
 */
export async function changeScheduleText<T>(
  path: string,
  change: (text: string) => ScheduleChange<T>,
): Promise<ScheduleTextChange<T>> {
  // Synchronous checks, read and write (see `readScheduleTextSync`): a verb that changes the
  // schedule does nothing else meanwhile, and holds the lock for less time.
  try {
    accessSync(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) throw new ScheduleNotFoundError(path, { cause: error });
    throw error;
  }
  // The schedule is replaced by rename, which never follows a link; but a planspace that others
  // may write to lets them change the steps, and plant links where the engine writes.
  assertOwnFolder(dirname(path), 'planspace', { link: true });
  return withFileLock(path, (assertHeld) => {
    const before = readScheduleTextSync(path);
    const { text, result } = change(before);
    if (text === undefined || text === before) return Promise.resolve({ result });
    // After the read: an edit in between gives a version no one knows, never a known one
    // standing for other bytes.
    const read = fileVersion(statSync(path, { bigint: true }));
    assertHeld();
    const written = fileVersion(writeFileAtomicSync(path, text));
    return Promise.resolve({ result, written: { before: read, after: written } });
  });
}
