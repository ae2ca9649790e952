/**
 * Git cannot make worktrees of one repository in parallel: a `worktree add` reads the
 * administrative folders of the others and fails on one half made ("failed to read
 * .git/worktrees/x/commondir"), which the isolation benchmark met with 16 blocks on 5,000
 * files. `Isolation` makes them one at a time: 16 units starting at once all get theirs.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Isolation } from '../../src/engine/isolation.js';
import { readCodespaceRepository } from '../../src/git/codespace.js';
import { git } from '../../src/git/git.js';
import { planspacePaths } from '../../src/planspace/paths.js';
import { readWorktreeRecords } from '../../src/planspace/worktree-records.js';
import type { Step } from '../../src/schedule/step.js';
import { makeTree } from '../helpers.js';

const ME = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

describe('Isolation.create', () => {
  it('makes the worktrees of 16 units asked for at once', async () => {
    const dir = await makeTree({});
    const code = join(dir, 'code');
    for (let folder = 0; folder < 10; folder += 1) {
      await mkdir(join(code, `src${folder}`), { recursive: true });
      for (let file = 0; file < 100; file += 1)
        await writeFile(join(code, `src${folder}`, `f${file}.txt`), `${file}\n`);
    }
    await git(code, ['init', '-q', '-b', 'main']);
    await git(code, ['add', '-A']);
    await git(code, ['commit', '-q', '-m', 'files'], { env: ME });
    const plan = join(dir, 'plan');
    await mkdir(plan);
    const isolation = await Isolation.open(planspacePaths(plan), await readCodespaceRepository(code), 'r1');
    const step = { number: 1, name: 'x', attributes: {} } as Step;
    const blocks = Array.from({ length: 16 }, (_, i) => `b${i}`);
    const trees = await Promise.all(blocks.map((block) => isolation.create({ step, block }, 1)));
    expect(trees.map((tree) => tree.record.state)).toEqual(blocks.map(() => 'running'));
    await Promise.all(trees.map((tree) => isolation.discard(tree.record)));
  });

  it('makes no worktree for a candidate stopped before its turn in the queue, and leaves no record', async () => {
    const dir = await makeTree({ 'code/a.txt': 'a\n' });
    const code = join(dir, 'code');
    await git(code, ['init', '-q', '-b', 'main']);
    await git(code, ['add', '-A']);
    await git(code, ['commit', '-q', '-m', 'a'], { env: ME });
    const plan = join(dir, 'plan');
    await mkdir(plan);
    const paths = planspacePaths(plan);
    const isolation = await Isolation.open(paths, await readCodespaceRepository(code), 'r1');
    const step = { number: 1, name: 'x', attributes: {} } as Step;
    const stop = new AbortController();
    // Candidate 1's worktree is asked for before the race is won; 2 and 3 wait their turn.
    const one = isolation.create({ step, candidate: 1 }, 1);
    const rest = [2, 3].map((k) => isolation.createUnlessStopped({ step, candidate: k }, 1, undefined, stop.signal));
    stop.abort();
    expect(await Promise.all(rest)).toEqual([undefined, undefined]);
    const made = await one;
    const names = (await readWorktreeRecords(paths)).map((record) => record.name);
    const branches = (await git(code, ['branch', '--list', 'planspace/*', '--format=%(refname:short)'])).stdout;
    expect(names).toEqual(['r1-step-1-candidate-1']);
    expect(branches.trim()).toBe('planspace/r1/step-1-candidate-1');
    await isolation.discard(made.record);
  });

  it('removes many worktrees at once with their branches and records, the main worktree untouched', async () => {
    const dir = await makeTree({ 'code/a.txt': 'a\n' });
    const code = join(dir, 'code');
    await git(code, ['init', '-q', '-b', 'main']);
    await git(code, ['add', '-A']);
    await git(code, ['commit', '-q', '-m', 'a'], { env: ME });
    const plan = join(dir, 'plan');
    await mkdir(plan);
    const paths = planspacePaths(plan);
    const isolation = await Isolation.open(paths, await readCodespaceRepository(code), 'r1');
    const step = { number: 1, name: 'x', attributes: {} } as Step;
    const trees = await Promise.all([1, 2, 3].map((k) => isolation.create({ step, candidate: k }, 1)));
    await writeFile(join(trees[0]?.cwd ?? '', 'left.txt'), 'an agent left this\n');
    const kept = trees.pop();
    await isolation.discardAll(trees.map((tree) => tree.record));
    const listed = (await git(code, ['worktree', 'list', '--porcelain'])).stdout;
    expect(listed).not.toContain('candidate-1');
    expect(listed).not.toContain('candidate-2');
    expect(listed).toContain('candidate-3');
    expect(existsSync(trees[0]?.record.path ?? '')).toBe(false);
    const branches = (await git(code, ['branch', '--list', 'planspace/*', '--format=%(refname:short)'])).stdout;
    expect(branches.trim()).toBe('planspace/r1/step-1-candidate-3');
    expect((await readWorktreeRecords(paths)).map((record) => record.name)).toEqual(['r1-step-1-candidate-3']);
    expect(await readFile(join(code, 'a.txt'), 'utf8')).toBe('a\n');
    if (kept !== undefined) await isolation.discard(kept.record);
  });
});
