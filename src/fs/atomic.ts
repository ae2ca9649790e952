import {
  closeSync,
  copyFileSync,
  fchmodSync,
  fstatSync,
  linkSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isErrno } from '../errors.js';
import { FILE_MODE } from './guard.js';
import { namePath } from './io-error.js';

/** Counts temporary files made by this process; with the pid, names never collide. */
let temporaries = 0;

/** A new temporary file's name next to `path`: `.<name>.<pid>.<n>.tmp`. */
function temporaryFor(path: string): string {
  temporaries += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${temporaries}.tmp`);
}

/**
 * How many names a write tries: a name can be taken by a file that a killed process of the
 * same pid left (pids are reused, after 32,768 processes on some machines).
 */
const NAME_TRIES = 16;

/**
 * Creates `temporary` (never an existing file or link), 0600 whatever the umask, and writes
 * `bytes` into it.
 *
 * @returns its `stat` once written (bigint).
 * @throws the `fs` error of the open or a write; the caller removes the file.
 */
function writeTemporarySync(temporary: string, bytes: Uint8Array): BigIntStats {
  const fd = openSync(temporary, 'wx', FILE_MODE);
  try {
    fchmodSync(fd, FILE_MODE);
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
    return fstatSync(fd, { bigint: true });
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces a file's content atomically: writes a temporary file in the same folder
 * (`.<name>.<pid>.<n>.tmp`), then renames it over the target. A reader sees the old content or
 * the new, never a mix, whatever moment the writer is killed at. The result is 0600
 * (`FILE_MODE`) whatever the umask and whatever mode the file had before: keeping the old
 * mode kept a 0644 schedule readable by all, and the mode of whatever a link planted in its
 * place pointed at. A link in place of the target is replaced, not followed: the write stays in
 * the target's folder.
 *
 * @param path - the file to replace or create.
 * @param data - the new content; strings are written as UTF-8.
 * @throws the `fs` error (e.g. `EROFS`, `ENOSPC`), naming `path`, after removing the temporary
 *   file; the target is then unchanged.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  let temporary = temporaryFor(path);
  try {
    // Made here (`wx`: never an existing file or link), 0600 less the umask, then set to 0600:
    // synchronously, a `chmod` of an open file being far cheaper than a thread-pool round trip.
    let file;
    for (let tries = 1; ; tries += 1) {
      try {
        file = await open(temporary, 'wx', FILE_MODE);
        break;
      } catch (error) {
        // A name a killed process of the same pid left (see `NAME_TRIES`): take the next.
        if (!isErrno(error, 'EEXIST') || tries >= NAME_TRIES) throw error;
        temporary = temporaryFor(path);
      }
    }
    try {
      fchmodSync(file.fd, FILE_MODE);
      await file.writeFile(data);
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw namePath(error, path);
  }
}

/**
 * `writeFileAtomic` without yielding: the same temporary file, rename, 0600 mode and errors,
 * in synchronous calls. For small files written right before something that needs
 * them, where the thread pool's round trips (five per file) cost more than the writes: the
 * prompt files of 64 agents starting at once (issue 11).
 *
 * @returns the new file's `stat` (bigint), taken before the rename: no other write can slip
 *   in between, so it describes exactly these bytes (see `schedule/version.ts`).
 * @throws the `fs` error (e.g. `EROFS`, `ENOSPC`), naming `path`, after removing the temporary
 *   file; the target is then unchanged.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): BigIntStats {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let temporary = temporaryFor(path);
  try {
    let written: BigIntStats | undefined;
    for (let tries = 1; written === undefined; tries += 1) {
      try {
        written = writeTemporarySync(temporary, bytes);
      } catch (error) {
        // A name a killed process of the same pid left (see `NAME_TRIES`): take the next.
        if (!isErrno(error, 'EEXIST') || tries >= NAME_TRIES) throw error;
        temporary = temporaryFor(path);
      }
    }
    renameSync(temporary, path);
    return written;
  } catch (error) {
    rmSync(temporary, { force: true });
    throw namePath(error, path);
  }
}

/** `link` errors of a file system without hard links (FAT, some FUSE mounts), where a copy must do. */
const NO_HARD_LINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'EXDEV'];

/**
 * Makes `path` a second name of the file `existing` (a hard link), replacing whatever `path`
 * was atomically: a free `path` is linked at once (`link` never replaces anything); else a
 * temporary name in the same folder is linked, then renamed over `path`. A reader sees the
 * old file or the new one, and a link in place of `path` is replaced, not followed. Where the
 * file system has no hard links, `path` becomes a copy of `existing` as it is now, written the
 * same way.
 *
 * @returns true for a hard link (the two names show the same file, as it grows), false for a copy.
 * @throws the `fs` error (e.g. `ENOENT` naming `existing`, `ENOSPC`), naming a file, after
 *   removing the temporary name; `path` is then unchanged.
 */
export function linkFileAtomicSync(existing: string, path: string): boolean {
  // The first attempt of a unit finds its name free: one system call, not a link and a rename
  // (each attempt makes two such names, and 64 blocks start at once).
  try {
    linkSync(existing, path);
    return true;
  } catch (error) {
    // Taken (a file, or a link planted there): replaced below. A file system without hard
    // links: the copy below, made the same way.
    if (!isErrno(error, 'EEXIST') && !NO_HARD_LINKS.some((code) => isErrno(error, code))) {
      throw namePath(error, path);
    }
  }
  const temporary = temporaryFor(path);
  let linked = true;
  try {
    try {
      linkSync(existing, temporary);
    } catch (error) {
      if (!NO_HARD_LINKS.some((code) => isErrno(error, code))) throw error;
      linked = false;
      copyFileSync(existing, temporary);
    }
    renameSync(temporary, path);
    return linked;
  } catch (error) {
    rmSync(temporary, { force: true });
    throw namePath(error, path);
  }
}
