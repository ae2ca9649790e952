import { lstat, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isErrno } from '../errors.js';
import { FILE_MODE } from './guard.js';
import { namePath } from './io-error.js';

/** Counts temporary files made by this process; with the pid, names never collide. */
let temporaries = 0;

/**
 * Replaces a file's content atomically: writes a temporary file in the same folder
 * (`.<name>.<pid>.<n>.tmp`), then renames it over the target. A reader sees the old content or
 * the new, never a mix, whatever moment the writer is killed at. The target's permission
 * bits are kept when it exists; a new file is 0600 whatever the umask. A link in place of the
 * target is replaced, not followed: the write stays in the target's folder.
 *
 * @param path - the file to replace or create.
 * @param data - the new content; strings are written as UTF-8.
 * @throws the `fs` error (e.g. `EROFS`, `ENOSPC`), naming `path`, after removing the temporary
 *   file; the target is then unchanged.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  temporaries += 1;
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${temporaries}.tmp`);
  const mode = await lstat(path).then(
    (stats) => (stats.isSymbolicLink() ? FILE_MODE : stats.mode & 0o7777),
    (error: unknown) => {
      if (isErrno(error, 'ENOENT')) return FILE_MODE;
      throw error;
    },
  );
  try {
    await writeFile(temporary, data, { mode, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw namePath(error, path);
  }
}
