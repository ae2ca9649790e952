/**
 * Opening planspace files only when they are regular files. A named pipe (FIFO) put where
 * `schedule.md`, `state.md` or `log.md` belongs made every verb block for ever in `open`,
 * waiting for a writer (or a reader) that never comes; a device or socket is no better. Each
 * open here is non-blocking, and the type is checked on the open file (`fstat`), so no swap
 * between a check and the open can slip a pipe in. On a regular file, `O_NONBLOCK` changes
 * nothing.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isErrno, PlanspaceError } from '../errors.js';

/** A path that must name a regular file names a pipe, socket, device or folder. */
export class NotRegularFileError extends PlanspaceError {
  readonly path: string;
  /** What the path is instead: `a FIFO (named pipe)`, `a folder`, ... */
  readonly kind: string;

  constructor(path: string, kind: string) {
    super('E_NOT_REGULAR_FILE', `${path} is ${kind}, not a regular file; remove or replace it`);
    this.path = path;
    this.kind = kind;
  }
}

/**
 * The largest file (bytes) planspace reads whole: a schedule, a question record, `engine.json`, a model
 * TOML, an agent or skill file, a template. 64 MiB is thousands of times a real one; a bigger
 * file is refused (exit 2) before it is read, rather than exhausting memory or V8's string
 * limit (a 600 MB schedule ended in exit 70 and a stack trace). Documented in README.md.
 */
export const MAX_READ_BYTES = 64 * 1024 * 1024;

/** A file planspace reads whole is larger than `MAX_READ_BYTES`; nothing was read. */
export class FileTooLargeError extends PlanspaceError {
  readonly path: string;
  /** The file's size, bytes. */
  readonly size: number;
  /** The limit, bytes. */
  readonly limit: number;

  constructor(path: string, size: number, limit: number) {
    super(
      'E_FILE_TOO_LARGE',
      `${path} is ${mebibytes(size)} (${size} bytes), over the ${mebibytes(limit)} planspace reads; is it the right file?`,
    );
    this.path = path;
    this.size = size;
    this.limit = limit;
  }
}

/** `bytes` in MiB, for messages: `600 MiB`, `0.5 MiB`. */
function mebibytes(bytes: number): string {
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;
}

/**
 * Checks an open file (`fstat`) before reading it whole: a regular file of at most `limit` bytes.
 *
 * @throws {NotRegularFileError} unless it is a regular file.
 * @throws {FileTooLargeError} if it is larger than `limit` bytes.
 */
function assertReadable(path: string, stats: Stats, limit: number): void {
  assertRegular(path, stats);
  if (stats.size > limit) throw new FileTooLargeError(path, stats.size, limit);
}

/** What a non-regular file is, in words. */
function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Checks what an open file (`fstat`) or a path (`stat`) is.
 *
 * @throws {NotRegularFileError} unless `stats` describes a regular file.
 */
export function assertRegular(path: string, stats: Stats): void {
  if (!stats.isFile()) throw new NotRegularFileError(path, kindOf(stats));
}

/**
 * Opens a regular file without blocking, whatever is at `path`.
 *
 * @param flags - `fs.constants` open flags; `O_NONBLOCK` is added. Default `O_RDONLY`.
 * @param mode - permission bits for a file `O_CREAT` creates. Default 0o666 (less the umask).
 * @throws {NotRegularFileError} if `path` is a FIFO, socket, device or folder (nothing read
 *   or written).
 * @throws the `fs` error of `open` (`ENOENT` for a missing file), naming `path`.
 */
export async function openRegularFile(path: string, flags = constants.O_RDONLY, mode = 0o666): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags | constants.O_NONBLOCK, mode);
  } catch (error) {
    // O_WRONLY on a FIFO with no reader fails at once (ENXIO) instead of blocking.
    if (isErrno(error, 'ENXIO')) throw new NotRegularFileError(path, 'a FIFO (named pipe)');
    throw error;
  }
  try {
    // Synchronous: an `fstat` of an open file does not block, and a thread-pool round trip for
    // it cost 1-2 ms on a busy machine, on every open (`state.md` is opened three times a step).
    assertRegular(path, fstatSync(handle.fd));
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Reads a whole regular file, without blocking on a FIFO and without reading a huge file.
 *
 * @param limit - the largest size accepted, bytes. Default `MAX_READ_BYTES`.
 * @throws {NotRegularFileError} if `path` is a FIFO, socket, device or folder.
 * @throws {FileTooLargeError} if it is larger than `limit` (nothing read).
 * @throws the `fs` error (`ENOENT` for a missing file).
 */
export async function readRegularFile(path: string, limit = MAX_READ_BYTES): Promise<Buffer> {
  const handle = await openRegularFile(path);
  try {
    assertReadable(path, fstatSync(handle.fd), limit);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * `readRegularFile` without yielding: the same checks in synchronous calls, for small files
 * read under a lock or at a run's start, where four thread-pool round trips cost more than the
 * read (1-2 ms each while the pool is busy).
 *
 * @throws as `readRegularFile`.
 */
export function readRegularFileSync(path: string, limit = MAX_READ_BYTES): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (isErrno(error, 'ENXIO')) throw new NotRegularFileError(path, 'a FIFO (named pipe)');
    throw error;
  }
  try {
    assertReadable(path, fstatSync(fd), limit);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks that `path` is a regular file, or missing. Follows symbolic links, as the opens
 * above do. For checks before a run starts; each open checks again. Synchronous, and no
 * exception for a missing file: four such checks took ~5 ms of a run's start as promises.
 *
 * @throws {NotRegularFileError} if it is a FIFO, socket, device or folder.
 * @throws the `fs` error of `stat` for anything but a missing file.
 */
export function assertRegularOrMissing(path: string): void {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats !== undefined) assertRegular(path, stats);
}
