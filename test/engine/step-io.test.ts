/**
 * What the engine reads and rewrites around every dispatch: `state.md` read into the prompt,
 * its `## Position` rewritten (twice a step), files written atomically. Each `FileHandle` call
 * is a round trip to libuv's thread pool, which cost 1-2 ms on a busy machine: the size and type
 * checks that an open file allows synchronously (`fstat`, `fchmod`) must not add such trips.
 * The checks themselves still hold (test/fault/huge-files.test.ts, test/fs/regular-file.test.ts).
 */
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { FileTooLargeError, MAX_READ_BYTES, readRegularFile } from '../../src/fs/regular-file.js';
import { readText } from '../../src/engine/text.js';
import { writePosition } from '../../src/planspace/state.js';
import { countHandleCalls } from '../fs-calls.js';
import { makeTree } from '../helpers.js';

const STATE = '# State\n\n## Position\n\nBetween steps.\n\n## Facts\n\n- the API is v2\n';

describe('files read and rewritten at each dispatch', () => {
  it('cost no thread-pool round trip for a size, type or mode check', async () => {
    const dir = await makeTree({ 'state.md': STATE, 'model.toml': 'command = "x"\n' });
    const state = join(dir, 'state.md');
    const calls = await countHandleCalls(state, ['stat', 'chmod'], async () => {
      expect(await readText(state)).toBe(STATE);
      await writePosition(state, 'Running:\n\n- step 2: run r-2');
      expect((await readRegularFile(join(dir, 'model.toml'))).toString()).toBe('command = "x"\n');
      await writeFileAtomic(join(dir, 'prompt.md'), 'the prompt\n');
    });
    expect(calls).toEqual({ stat: 0, chmod: 0 });
    expect(await readFile(state, 'utf8')).toContain('## Position\n\nRunning:\n\n- step 2: run r-2\n');
    expect(await readFile(state, 'utf8')).toContain('- the API is v2\n');
  });

  it('still refuse a state.md over the size limit, without reading it', async () => {
    const dir = await makeTree({ 'state.md': '' });
    const state = join(dir, 'state.md');
    await truncate(state, MAX_READ_BYTES + 1);
    await expect(readText(state)).rejects.toBeInstanceOf(FileTooLargeError);
    await expect(writePosition(state, 'Between steps.')).rejects.toBeInstanceOf(FileTooLargeError);
    await writeFile(join(dir, 'small.md'), 'ok\n');
    expect(await readText(join(dir, 'small.md'))).toBe('ok\n');
  });
});
