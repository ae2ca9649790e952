/**
 * Standard output written with `writeSync` on file descriptor 1, without `process.stdout`.
 * Making `process.stdout` loads Node's stream machinery (a `SyncWriteStream` for a file, a
 * socket for a pipe): a few ms of every verb's start-up, for one line of output. Writes stay
 * direct until one would block (`EAGAIN`: a non-blocking pipe) or fails otherwise; from then
 * on, the rest of that write and every later one go through `process.stdout`, in order, and
 * fail as they always did. A reader gone (`EPIPE`) closes the output, as `guardStream` would.
 */
import { writeSync } from 'node:fs';
import { isErrno } from '../errors.js';

/** Standard output, direct while it can be; see the module comment. */
export interface DirectStdout {
  /**
   * Writes `chunk` whole, or hands what is left of it to `stream()` (made on first need).
   * Dropped once the reader is gone.
   */
  write(chunk: string | Uint8Array): void;
  /** True once a direct write failed because the reader is gone (`EPIPE`). */
  readonly closed: boolean;
  /** True while no write has gone through `process.stdout`: every byte has reached the system. */
  readonly direct: boolean;
}

/**
 * Makes the direct writer of file descriptor `fd` (1: standard output).
 *
 * @param fallback - writes through the stream (`process.stdout.write`, with its EPIPE watch).
 */
export function directStdout(fd: number, fallback: (chunk: Uint8Array) => void): DirectStdout {
  const state = { closed: false, direct: true };
  return {
    get closed() {
      return state.closed;
    },
    get direct() {
      return state.direct;
    },
    write(chunk) {
      if (state.closed) return;
      let rest = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (state.direct) {
        try {
          while (rest.length > 0) rest = rest.subarray(writeSync(fd, rest));
          return;
        } catch (error) {
          if (isErrno(error, 'EPIPE')) {
            state.closed = true;
            return;
          }
          // EAGAIN (a non-blocking pipe is full) and anything else: the stream waits, or fails
          // as it always did.
          state.direct = false;
        }
      }
      fallback(rest);
    },
  };
}
