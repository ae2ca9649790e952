/**
 * Keeping writes inside the planspace. A planspace is shared with agents and sometimes comes
 * from a checkout, so a link planted in it (`artifacts/step-3-output.md -> ~/.bashrc`, a
 * mailbox folder linked elsewhere) would turn the engine's writes into writes outside it, and
 * a folder someone else may write to would let them plant such links. So:
 *
 * - the planspace and its `mailboxes/` folder must belong to this process's user and must not
 *   be writable by group or others (`assertOwnFolder`);
 * - the folders planspace writes into (`artifacts/`, `mailboxes/<name>/`, ...) must not be
 *   links (`assertOwnFolder` with `link: false`);
 * - files that are appended to or rewritten in place are opened with `O_NOFOLLOW`
 *   (`openNoFollowSync`, `openNoFollow`); files replaced by rename need nothing more, since a
 *   rename replaces a link rather than following it.
 *
 * Each check is one `stat` or `lstat` of a folder, never a walk: every CLI call pays for it.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, statSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { isErrno, PlanspaceError } from '../errors.js';
import { assertRegular, NotRegularFileError, openRegularFile } from './regular-file.js';

/** Files planspace creates: readable and writable by their owner only, whatever the umask. */
export const FILE_MODE = 0o600;
/** Folders planspace creates. */
export const FOLDER_MODE = 0o700;

const { O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } = constants;

/** `open` flags that never follow a link in the last component of the path. */
export const NO_FOLLOW = {
  /** Read. */
  read: O_RDONLY | O_NOFOLLOW,
  /** Append, creating the file: `'a'`. */
  append: O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW,
  /** Append and read, creating the file: `'a+'`. */
  appendRead: O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW,
  /** Replace the content, creating the file: `'w'`. */
  replace: O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
} as const;

/**
 * A file or folder planspace would write through is unsafe: a link, or a folder another user
 * owns or may write to. Nothing was written.
 */
export class UnsafePathError extends PlanspaceError {
  /** The link or folder, as given. */
  readonly path: string;

  constructor(path: string, message: string) {
    super('E_UNSAFE_PATH', message);
    this.path = path;
  }
}

/** The error for a link at `path`, which `lstat` described. */
function linkError(path: string, what: string): UnsafePathError {
  return new UnsafePathError(
    path,
    `${what}${path} is a symbolic link; planspace does not write through links, which can lead outside the planspace: remove it`,
  );
}

/**
 * Checks a folder planspace writes into.
 *
 * @param path - the folder.
 * @param what - how the message names it, e.g. `planspace` or `mailboxes folder`.
 * @param options - `link`: whether the folder may itself be a link (true only for the
 *   planspace, whose path the user chose; default false); `owner`: whether it must belong to
 *   this user and be writable by nobody else (default true).
 * @returns false if the folder does not exist (yet): whoever makes it makes it 0700.
 * @throws {UnsafePathError} naming the folder and the fix: a link (`... is a symbolic link`),
 *   another user's folder (`planspace /p belongs to uid 1234, not to this user (uid 1000)`),
 *   or one others may write to (`planspace /p is writable by its group: chmod g-w /p`).
 * @throws the `fs` error for anything but a missing folder.
 */
export function assertOwnFolder(
  path: string,
  what: string,
  options: { readonly link?: boolean; readonly owner?: boolean } = {},
): boolean {
  let stats: Stats;
  try {
    stats = options.link === true ? statSync(path) : lstatSync(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return false;
    throw error;
  }
  if (stats.isSymbolicLink()) throw linkError(path, `${what} `);
  // Not a folder: the caller's own error (ENOTDIR, EEXIST) says so better.
  if (!stats.isDirectory() || options.owner === false) return true;
  assertOwnFolderStats(path, what, stats);
  return true;
}

/**
 * `assertOwnFolder`'s owner and mode checks on a folder's `stats` already taken (by a caller
 * that needs them too: `holdFolder` checks its folder before every write, one `lstat` each).
 *
 * @throws {UnsafePathError} if the folder belongs to another user or others may write to it.
 */
export function assertOwnFolderStats(path: string, what: string, stats: Stats): void {
  const uid = process.geteuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new UnsafePathError(
      path,
      `${what} ${path} belongs to uid ${stats.uid}, not to this user (uid ${uid}): run planspace as its owner, or chown it`,
    );
  }
  const group = (stats.mode & 0o020) !== 0;
  const others = (stats.mode & 0o002) !== 0;
  if (group || others) {
    const who = group && others ? 'its group and by others' : group ? 'its group' : 'others';
    const fix = group && others ? 'go-w' : group ? 'g-w' : 'o-w';
    throw new UnsafePathError(path, `${what} ${path} is writable by ${who}: chmod ${fix} ${path}`);
  }
}

/**
 * Checks that a file planspace will write is not a link. For files whose every write opens
 * them with `O_NOFOLLOW` anyway, this is the early, clear refusal before anything is written.
 *
 * @throws {UnsafePathError} if `path` is a symbolic link; the `fs` error for anything but a
 *   missing file.
 */
export function assertNotLink(path: string): void {
  let stats;
  try {
    // No exception for a missing file (most are, before a run writes them): building one per
    // path cost a run of 64 blocks several ms before its first agent.
    stats = lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if (isErrno(error, 'ENOTDIR')) return;
    throw error;
  }
  if (stats?.isSymbolicLink() === true) throw linkError(path, '');
}

/** Turns the `ELOOP` of an `O_NOFOLLOW` open of a link into an `UnsafePathError`. */
function refuseLink(error: unknown, path: string): unknown {
  if (!isErrno(error, 'ELOOP')) return error;
  try {
    if (!lstatSync(path).isSymbolicLink()) return error;
  } catch (lstatError) {
    if (isErrno(lstatError, 'ENOENT')) return error;
    throw lstatError;
  }
  return linkError(path, '');
}

/**
 * `openSync` with `O_NOFOLLOW` and `O_NONBLOCK`: a link in place of the file is refused, not
 * followed, and so is anything but a regular file (a FIFO would block the open for ever).
 *
 * @param flags - one of `NO_FOLLOW`.
 * @param mode - permission bits of a file created. Default `FILE_MODE`.
 * @throws {UnsafePathError} if `path` is a symbolic link.
 * @throws {NotRegularFileError} if it is a FIFO, socket, device or folder.
 * @throws the `fs` error otherwise (`ENOENT` for a missing file opened without `O_CREAT`).
 */
export function openNoFollowSync(path: string, flags: number, mode: number = FILE_MODE): number {
  return openNoFollowSizeSync(path, flags, mode).fd;
}

/**
 * `openNoFollowSync` that also returns the file's size in bytes when opened (from the `fstat`
 * that checks its type, which a caller would otherwise repeat).
 *
 * @throws as `openNoFollowSync`.
 */
export function openNoFollowSizeSync(
  path: string,
  flags: number,
  mode: number = FILE_MODE,
): { readonly fd: number; readonly size: number } {
  let fd: number;
  try {
    fd = openSync(path, flags | O_NONBLOCK, mode);
  } catch (error) {
    throw refuseOpen(error, path);
  }
  try {
    const stats = fstatSync(fd);
    assertRegular(path, stats);
    return { fd, size: stats.size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** `open` (promises) with `O_NOFOLLOW` and `O_NONBLOCK`; see `openNoFollowSync`. */
export async function openNoFollow(path: string, flags: number, mode: number = FILE_MODE): Promise<FileHandle> {
  try {
    return await openRegularFile(path, flags, mode);
  } catch (error) {
    throw refuseOpen(error, path);
  }
}

/** The error for a failed open: a link, a FIFO without a peer, a folder, or the `fs` error. */
function refuseOpen(error: unknown, path: string): unknown {
  // A non-blocking write-only open of a FIFO with no reader fails at once with ENXIO.
  if (isErrno(error, 'ENXIO')) return new NotRegularFileError(path, 'a FIFO (named pipe)');
  if (isErrno(error, 'EISDIR')) return new NotRegularFileError(path, 'a folder');
  return refuseLink(error, path);
}
