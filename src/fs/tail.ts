/**
 * The end of a file that may be huge: an agent's output can run to gigabytes, and only its
 * last lines matter (the exception handler's prompt, the handler's verdict).
 */
import { isErrno } from '../errors.js';
import { NO_FOLLOW, openNoFollow, UnsafePathError } from './guard.js';

/** Bytes `readTail` reads when not told: enough for many long lines. 64 KiB. */
export const DEFAULT_TAIL_BYTES = 64 * 1024;

/**
 * The last `maxBytes` bytes of a file, as UTF-8 text, read at their offset: memory and time
 * do not grow with the file. When the file is longer, the first (cut) line of the tail is
 * dropped, so that the text starts at a line boundary and with a whole character.
 *
 * @param maxBytes - most bytes read. Default `DEFAULT_TAIL_BYTES` (64 KiB).
 * @param from - the byte offset the part of the file looked at starts at: nothing before it
 *   is read (one command's output among several in one file). Default 0.
 * @returns '' if the file does not exist or is a symbolic link (never followed: the text goes
 *   into agents' prompts).
 * @throws {NotRegularFileError} for a FIFO, socket, device or folder (never blocks on one).
 * @throws the `fs` error for anything but a missing file.
 */
export async function readTail(path: string, maxBytes = DEFAULT_TAIL_BYTES, from = 0): Promise<string> {
  let file;
  try {
    file = await openNoFollow(path, NO_FOLLOW.read);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || error instanceof UnsafePathError) return '';
    throw error;
  }
  try {
    const { size } = await file.stat();
    const length = Math.max(0, Math.min(size - from, maxBytes));
    const buffer = Buffer.alloc(length);
    let read = 0;
    // A file that shrinks meanwhile ends the reads early; what was read is the tail.
    while (read < length) {
      const { bytesRead } = await file.read(buffer, read, length - read, size - length + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    const bytes = buffer.subarray(0, read);
    if (length === size - from) return bytes.toString('utf8');
    const newline = bytes.indexOf(0x0a);
    return newline === -1 ? '' : bytes.subarray(newline + 1).toString('utf8');
  } finally {
    await file.close();
  }
}
