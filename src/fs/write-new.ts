/**
 * Writing a file that must not replace one already there (`workflow models add` without
 * `--force`), atomically: a reader sees no file or the whole of it, never a part.
 */
import { randomBytes } from 'node:crypto';
import { link, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isErrno, PlanspaceError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

/** A file was to be created where one already is; nothing was written. */
export class FileExistsError extends PlanspaceError {
  readonly path: string;

  constructor(path: string, hint: string) {
    super('E_EXISTS', `${path} already exists; ${hint}`);
    this.path = path;
  }
}

/**
 * Creates `path` holding `data`: writes it whole under a temporary name in the same folder,
 * then hard-links it to `path`, which fails if `path` exists (decided by the file system, so
 * two writers racing cannot both win), and removes the temporary name. The file is 0600, as
 * `writeFileAtomic` makes it.
 *
 * @param hint - what the error adds after `<path> already exists; `, e.g. `--force replaces it`.
 * @throws {FileExistsError} if `path` exists (a file, a folder or a link); nothing was written.
 * @throws the `fs` error of the write or the link (`ENOENT` for a missing folder, `EROFS`, ...).
 */
export async function writeNewFileAtomic(path: string, data: string | Uint8Array, hint: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.new`);
  await writeFileAtomic(temporary, data);
  try {
    await link(temporary, path);
  } catch (error) {
    if (isErrno(error, 'EEXIST')) throw new FileExistsError(path, hint);
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}
