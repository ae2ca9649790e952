/**
 * The record of a step's done blocks (`artifacts/step-N-blocks-done.json`, issue 17): written
 * as blocks succeed, before their reports are acknowledged. Blocks that end together (64 started
 * at once end within a few ms) share one write of it, rather than one file made and renamed each.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blocksDonePath, readBlocksDone, recordBlocksDone } from '../../src/engine/blocks-done.js';
import { planspacePaths } from '../../src/planspace/paths.js';
import { countFsCalls } from '../fs-calls.js';
import { makeTree } from '../helpers.js';

async function planspace(): Promise<ReturnType<typeof planspacePaths>> {
  const paths = planspacePaths(await makeTree({ 'schedule.md': '# Schedule: blocks\n' }));
  mkdirSync(paths.artifacts, { mode: 0o700 });
  return paths;
}

describe('recordBlocksDone', () => {
  it('writes the blocks that end in the same turn once, holding them all', async () => {
    const paths = await planspace();
    const done = new Set<string>();
    const calls = await countFsCalls(['renameSync'], async () => {
      const writes = ['a', 'b', 'c'].map((block) => {
        done.add(block);
        return recordBlocksDone(paths, 3, done);
      });
      await Promise.all(writes);
    });
    expect(calls).toEqual({ renameSync: 1 });
    expect(JSON.parse(readFileSync(blocksDonePath(paths, 3), 'utf8'))).toEqual({ step: 3, blocks: ['a', 'b', 'c'] });
    expect(readdirSync(paths.artifacts)).toEqual(['step-3-blocks-done.json']);
  });

  it('has each block on disk when its promise resolves, also for blocks that end later', async () => {
    const paths = await planspace();
    const done = new Set(['a']);
    await recordBlocksDone(paths, 3, done);
    expect([...(await readBlocksDone(paths, 3, ['a', 'b']))]).toEqual(['a']);
    done.add('b');
    await recordBlocksDone(paths, 3, done);
    expect([...(await readBlocksDone(paths, 3, ['a', 'b']))]).toEqual(['a', 'b']);
  });

  it('rejects with the error of the write, naming the file', async () => {
    const paths = await planspace();
    // A folder where the record goes: the rename over it fails.
    mkdirSync(join(paths.artifacts, 'step-3-blocks-done.json'));
    await expect(recordBlocksDone(paths, 3, new Set(['a']))).rejects.toThrow(blocksDonePath(paths, 3));
  });
});
