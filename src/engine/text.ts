import { readFile } from 'node:fs/promises';
import { isErrno } from '../errors.js';

/**
 * A file's text (UTF-8), or '' if it does not exist.
 *
 * @throws the `fs` error for anything but a missing file.
 */
export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return '';
    throw error;
  }
}
