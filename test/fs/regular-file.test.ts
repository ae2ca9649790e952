/**
 * Opening planspace files only when they are regular files, without ever blocking on a FIFO
 * (issue 10, point 6). Real FIFOs made with mkfifo; a test that blocked would hang, not pass.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_FOLLOW, openNoFollowSync } from '../../src/fs/guard.js';
import {
  assertRegularOrMissing,
  NotRegularFileError,
  openRegularFile,
  readRegularFile,
} from '../../src/fs/regular-file.js';
import { writePosition } from '../../src/planspace/state.js';
import { makeTree } from '../helpers.js';

/** Appends as the log and the mailbox do: `O_NOFOLLOW`, non-blocking, regular files only. */
function appendRegularFileSync(path: string, text: string): void {
  const fd = openNoFollowSync(path, NO_FOLLOW.append);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

async function fifoIn(): Promise<{ dir: string; fifo: string }> {
  const dir = await makeTree({ 'file.md': 'hello\n' });
  const fifo = join(dir, 'pipe.md');
  execFileSync('mkfifo', [fifo]);
  return { dir, fifo };
}

describe('regular files only', () => {
  it('reads, opens and appends to a regular file as usual', async () => {
    const { dir } = await fifoIn();
    const file = join(dir, 'file.md');
    expect((await readRegularFile(file)).toString()).toBe('hello\n');
    await (await openRegularFile(file)).close();
    appendRegularFileSync(file, 'more\n');
    appendRegularFileSync(join(dir, 'new.md'), 'first\n');
    expect(await readFile(file, 'utf8')).toBe('hello\nmore\n');
    expect(await readFile(join(dir, 'new.md'), 'utf8')).toBe('first\n');
    expect(() => {
      assertRegularOrMissing(file);
      assertRegularOrMissing(join(dir, 'missing.md'));
    }).not.toThrow();
  });

  it('refuses a FIFO at once, naming it, for reading, opening, appending and checking', async () => {
    const { fifo } = await fifoIn();
    const message = `${fifo} is a FIFO (named pipe), not a regular file; remove or replace it`;
    await expect(readRegularFile(fifo)).rejects.toThrow(message);
    await expect(openRegularFile(fifo)).rejects.toBeInstanceOf(NotRegularFileError);
    expect(() => {
      appendRegularFileSync(fifo, 'line\n');
    }).toThrow(message);
    expect(() => {
      assertRegularOrMissing(fifo);
    }).toThrow(message);
    // With a reader at the other end, an append would go into the pipe: refused all the same.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      expect(() => {
        appendRegularFileSync(fifo, 'line\n');
      }).toThrow(message);
    } finally {
      closeSync(reader);
    }
  });

  it('refuses a folder, naming it', async () => {
    const { dir } = await fifoIn();
    const folder = join(dir, 'folder.md');
    await mkdir(folder);
    const message = `${folder} is a folder, not a regular file; remove or replace it`;
    await expect(readRegularFile(folder)).rejects.toThrow(message);
    expect(() => {
      appendRegularFileSync(folder, 'line\n');
    }).toThrow(message);
  });

  it('writePosition refuses a FIFO state.md instead of blocking, and leaves it a FIFO', async () => {
    const { fifo } = await fifoIn();
    await expect(writePosition(fifo, 'Between steps.')).rejects.toBeInstanceOf(NotRegularFileError);
    const { dir } = await fifoIn();
    const state = join(dir, 'state.md');
    await writeFile(state, '# State\n');
    await writePosition(state, 'Between steps.');
    expect(await readFile(state, 'utf8')).toBe('# State\n\n## Position\n\nBetween steps.\n');
  });
});
