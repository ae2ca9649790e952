import { isErrno } from '../errors.js';
import { readRegularFile } from '../fs/regular-file.js';

/**
 * A file's text (UTF-8), or '' if it does not exist.
 *
 * @throws {NotRegularFileError} for a FIFO, socket, device or folder (never blocks on one).
 * @throws the `fs` error for anything but a missing file.
 */
export async function readText(path: string): Promise<string> {
  try {
    return (await readRegularFile(path)).toString('utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return '';
    throw error;
  }
}
