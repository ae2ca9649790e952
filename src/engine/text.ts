import { fstatSync } from 'node:fs';
import { isErrno } from '../errors.js';
import { NO_FOLLOW, openNoFollow, UnsafePathError } from '../fs/guard.js';
import { FileTooLargeError, MAX_READ_BYTES } from '../fs/regular-file.js';

/**
 * A file's text (UTF-8), or '' if it does not exist or is a symbolic link. A link is never
 * followed: what these files hold goes into agents' prompts, and a link planted in place of an
 * output file would hand them whatever file it points at (`runEngine` refuses links found at
 * the start; this covers one planted while the run goes on).
 *
 * @param limit - the largest size read, bytes. Default `MAX_READ_BYTES` (64 MiB), the limit
 *   README.md documents for `state.md`; `events.jsonl`, which only grows with a run, passes
 *   `Infinity`.
 * @throws {NotRegularFileError} for a FIFO, socket, device or folder (never blocks on one).
 * @throws {FileTooLargeError} if the file is larger than `limit` (nothing read).
 * @throws the `fs` error for anything but a missing file.
 */
export async function readText(path: string, limit = MAX_READ_BYTES): Promise<string> {
  try {
    const file = await openNoFollow(path, NO_FOLLOW.read);
    try {
      // Synchronous: a thread-pool round trip for the size cost more than the check (state.md
      // is read before every dispatch).
      const { size } = fstatSync(file.fd);
      if (size > limit) throw new FileTooLargeError(path, size, limit);
      return await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    if (isErrno(error, 'ENOENT') || error instanceof UnsafePathError) return '';
    throw error;
  }
}
