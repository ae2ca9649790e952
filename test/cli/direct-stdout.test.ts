/**
 * Standard output written without `process.stdout`: every byte arrives, in order, whatever
 * the descriptor does. A full non-blocking pipe (`EAGAIN`) hands exactly the bytes it did not
 * take to the stream, and every later write follows them there; a reader gone closes it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directStdout } from '../../src/cli/direct-stdout.js';

const { O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/** Everything a non-blocking descriptor `fd` holds now. */
function drain(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(65536);
  for (;;) {
    try {
      const read = readSync(fd, buffer);
      if (read === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, read)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw error;
    }
  }
  return Buffer.concat(chunks);
}

describe('directStdout', () => {
  it('writes to a file directly, in order, and never calls the stream', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'planspace-direct-')), 'out');
    const fd = openSync(path, 'w');
    const streamed: Uint8Array[] = [];
    const out = directStdout(fd, (chunk) => streamed.push(chunk));
    out.write('9:[run] 7. seven | glm -- step\n');
    out.write(Buffer.from('second line ✓\n'));
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe('9:[run] 7. seven | glm -- step\nsecond line ✓\n');
    expect(streamed).toEqual([]);
    expect({ direct: out.direct, closed: out.closed }).toEqual({ direct: true, closed: false });
  });

  it('hands the stream exactly what a full non-blocking pipe did not take, then every later write', async () => {
    const fifo = join(await mkdtemp(join(tmpdir(), 'planspace-direct-')), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, O_RDONLY | O_NONBLOCK);
    const writer = openSync(fifo, O_WRONLY | O_NONBLOCK);
    try {
      const streamed: Buffer[] = [];
      const out = directStdout(writer, (chunk) => streamed.push(Buffer.from(chunk)));
      // More than any pipe buffer holds (64 KiB on Linux), so some write would block.
      const big = Buffer.from(Array.from({ length: 40_000 }, (_, n) => `line ${n}\n`).join(''));
      out.write(big);
      out.write('after\n');
      const direct = drain(reader);
      expect(direct.length).toBeGreaterThan(0);
      expect(out.direct).toBe(false);
      expect(Buffer.concat([direct, ...streamed]).toString()).toBe(`${big.toString()}after\n`);
      expect(streamed.at(-1)?.toString()).toBe('after\n');
    } finally {
      closeSync(writer);
      closeSync(reader);
    }
  });

  it('drops everything once the reader is gone (EPIPE), and says it is closed', async () => {
    const fifo = join(await mkdtemp(join(tmpdir(), 'planspace-direct-')), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, O_RDONLY | O_NONBLOCK);
    const writer = openSync(fifo, O_WRONLY | O_NONBLOCK);
    closeSync(reader);
    try {
      const streamed: Uint8Array[] = [];
      const out = directStdout(writer, (chunk) => streamed.push(chunk));
      out.write('lost\n');
      out.write('lost too\n');
      expect({ direct: out.direct, closed: out.closed, streamed }).toEqual({
        direct: true,
        closed: true,
        streamed: [],
      });
    } finally {
      closeSync(writer);
    }
  });
});
