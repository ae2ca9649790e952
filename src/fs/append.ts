/**
 * Appends that leave a whole line or nothing: on a full disk, a `write` can take part of a
 * line and then fail with ENOSPC, which `appendFileSync` leaves behind as half a line.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { NO_FOLLOW, openNoFollowSync } from './guard.js';
import { namePath } from './io-error.js';

/**
 * Appends `data` to `path` (created with `mode` if missing) with one `write` where the system
 * allows it. If any part fails, what was written of it is cut off again and the error thrown.
 *
 * @param mode - permission bits of a new file, e.g. 0o600.
 * @returns a function that cuts the appended bytes off again (for an append that must go with
 *   another that failed); only valid while nothing else appends to the file.
 * @throws {UnsafePathError} if `path` is a symbolic link; {NotRegularFileError} if it is a
 *   FIFO, socket, device or folder.
 * @throws the `fs` error (`ENOSPC`, `EROFS`, ...) naming `path`; the file is then as it was,
 *   unless another process appended to it at that very moment.
 */
export function appendWholeSync(path: string, data: string | Uint8Array, mode: number): () => void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const fd = openNoFollowSync(path, NO_FOLLOW.append, mode);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written);
  } catch (error) {
    // With O_APPEND the part written ends the file: cut exactly that much.
    if (written > 0) ftruncateSync(fd, fstatSync(fd).size - written);
    closeSync(fd);
    throw namePath(error, path);
  }
  const end = fstatSync(fd).size;
  closeSync(fd);
  return () => {
    const undo = openSync(path, 'r+');
    try {
      if (fstatSync(undo).size === end) ftruncateSync(undo, end - bytes.length);
    } finally {
      closeSync(undo);
    }
  };
}
