import { readSync } from 'node:fs';

/**
 * Reads `length` bytes at byte `position` of an open file: fewer at its end (the buffer
 * returned is as long as what was read). Short reads are continued.
 *
 * @throws the `fs` error of the read.
 */
export function readAtSync(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read);
}
