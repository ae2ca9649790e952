/**
 * `isolation: worktree` on real repositories (issue 19, items 2 and 5): each unit in a
 * worktree of its own, merged into the codespace's branch; conflicts retried on the new head;
 * a dirty codespace refused; agents that move refs from their worktree.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeIsolationRun, worktreeRecordFiles } from './isolation-setup.js';

const THREE_BLOCKS = [
  '# Schedule: three blocks',
  '',
  '[wait] 1. implement | git-agent -- one file per block',
  '  - blocks: a, b, c',
  '  - isolation: worktree',
  '',
].join('\n');

describe('workflow run: isolation: worktree', () => {
  it('merges three blocks that edit different files, and leaves no worktree or branch behind', async () => {
    const run = await makeIsolationRun(THREE_BLOCKS);
    await run.act({
      a: [{ write: 'a.txt', text: 'from a\n' }],
      b: [{ write: 'b.txt', text: 'from b\n' }, { git: ['commit', '-qam', 'nothing', '--allow-empty'] }],
      c: [{ write: 'c.txt', text: 'from c\n' }],
    });
    // The user's own untracked file: never touched.
    await writeFile(join(run.codespace, 'notes.txt'), 'mine\n');
    const result = await run.run(['--concurrency', '3']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');
    for (const block of ['a', 'b', 'c']) {
      expect(await readFile(join(run.codespace, `${block}.txt`), 'utf8')).toBe(`from ${block}\n`);
      const record = await run.agentRecord(`step-1-${block}`, 1);
      // Each agent worked in a worktree of its own under .git, told so by WORKFLOW_CODESPACE.
      expect(record.cwd).toContain(join(run.codespace, '.git', 'planspace-worktrees'));
      expect(record.codespace).toBe(record.cwd);
    }
    expect(await readFile(join(run.codespace, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(run.git('status', '--porcelain', '--untracked-files=all')).toBe('?? notes.txt');
    expect(run.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    const merges = run.git('log', '--merges', '--format=%s').split('\n');
    expect(merges).toHaveLength(3);
    for (const block of ['a', 'b', 'c']) {
      expect(merges.some((s) => s.includes(`step 1 (implement) block ${block}, attempt 1, by git-agent`))).toBe(true);
    }
    expect(run.extraWorktrees()).toEqual([]);
    expect(run.planspaceBranches()).toEqual([]);
    expect(await worktreeRecordFiles(run.planspace)).toEqual([]);
    const merged = (await run.events()).filter((e) => e.event === 'merged');
    expect(merged.map((e) => e.block).sort()).toEqual(['a', 'b', 'c']);
    // Each names its own merge commit, though the next merge may have moved the branch on.
    for (const event of merged) {
      expect(run.git('log', '-1', '--format=%s', String(event.head))).toContain(`block ${String(event.block)},`);
    }
  });

  it('makes and removes the worktrees of 12 blocks starting at once, which git cannot do in parallel', async () => {
    const blocks = 'abcdefghijkl'.split('');
    const schedule = `[wait] 1. implement | git-agent -- twelve\n  - blocks: ${blocks.join(', ')}\n  - isolation: worktree\n`;
    const run = await makeIsolationRun(schedule);
    await run.act(Object.fromEntries(blocks.map((block) => [block, [{ write: `${block}.txt`, text: `${block}\n` }]])));
    const result = await run.run(['--concurrency', '12']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');
    expect(run.git('ls-files').split('\n').sort()).toEqual(['README.md', ...blocks.map((b) => `${b}.txt`)].sort());
    expect(run.extraWorktrees()).toEqual([]);
  });

  it('retries a block whose merge conflicts on the new head, naming the paths in its prompt', async () => {
    const schedule = [
      '[wait] 1. implement | git-agent -- both edit the same line',
      '  - blocks: a, b',
      '  - retries: 1',
      '  - backoff: 10ms',
      '',
    ].join('\n');
    const run = await makeIsolationRun(schedule, { 'shared.txt': 'colour = red\n' });
    await run.act({
      a: [{ write: 'shared.txt', text: 'colour = blue\n' }],
      b: [{ write: 'shared.txt', text: 'colour = green (attempt {attempt})\n' }],
    });
    // Both blocks start from the same head: whichever merges second conflicts.
    const result = await run.run(['--concurrency', '2', '--isolation', 'worktree']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');
    const events = await run.events();
    const failed = events.filter((e) => e.event === 'merge-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.reason).toBe('merge conflict in shared.txt');
    const loser = failed[0]?.block === 'a' ? 'a' : 'b';
    const retried = await run.agentRecord(`step-1-${loser}`, 2);
    expect(retried.prompt).toContain('## Merge conflict in the previous attempt');
    expect(retried.prompt).toContain('- `shared.txt`');
    // The second attempt started from the head that holds the winner's change, and merged.
    const winnerText = loser === 'a' ? 'colour = green (attempt 1)\n' : 'colour = blue\n';
    const loserText = loser === 'a' ? 'colour = blue\n' : 'colour = green (attempt 2)\n';
    expect(winnerText).not.toBe(loserText);
    expect(await readFile(join(run.codespace, 'shared.txt'), 'utf8')).toBe(loserText);
    expect(run.git('log', '--merges', '--format=%s').split('\n')).toHaveLength(2);
    expect(run.git('status', '--porcelain')).toBe('');
    expect(existsSync(join(run.codespace, '.git', 'MERGE_HEAD'))).toBe(false);

    // The conflicting attempt's worktree is kept, listed, and pruned on demand.
    const listed = await run.workflow(['worktrees', run.planspace, '--json']);
    const { worktrees } = JSON.parse(listed.stdout) as { worktrees: { block: string; state: string; path: string }[] };
    expect(worktrees.map((w) => [w.block, w.state])).toEqual([[loser, 'conflict']]);
    expect(run.extraWorktrees()).toEqual([worktrees[0]?.path]);
    const text = await run.workflow(['worktrees', run.planspace]);
    expect(text.stdout).toMatch(new RegExp(`^step 1 block ${loser}  planspace/\\S+/step-1-${loser}  conflict  `));
    const pruned = await run.workflow(['worktrees', run.planspace, '--prune']);
    expect(pruned.stdout).toBe('pruned 1 worktree\n');
    expect(run.extraWorktrees()).toEqual([]);
    expect(run.planspaceBranches()).toEqual([]);
    expect((await run.workflow(['worktrees', run.planspace])).stdout).toBe('no worktrees\n');
  });

  it('refuses a codespace with uncommitted changes to tracked files, naming them, and writes nothing', async () => {
    const run = await makeIsolationRun(THREE_BLOCKS, { 'a.txt': 'one\n', 'b.txt': 'two\n' });
    await writeFile(join(run.codespace, 'b.txt'), 'changed\n');
    await writeFile(join(run.codespace, 'untracked.txt'), 'fine\n');
    const before = await readdir(run.planspace);
    const result = await run.run();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('without uncommitted changes to tracked files');
    expect(result.stderr).toContain('b.txt');
    expect(result.stderr).not.toContain('untracked.txt');
    expect(await readdir(run.planspace)).toEqual(before);
    expect(await run.recordFiles()).toEqual([]);
  });

  it('refuses a codespace that is not a git repository, and writes nothing', async () => {
    const run = await makeIsolationRun('[wait] 1. implement | git-agent -- x\n');
    await rm(join(run.codespace, '.git'), { recursive: true });
    const before = await readdir(run.planspace);
    const result = await run.run(['--isolation', 'worktree']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('to be a git repository');
    expect(await readdir(run.planspace)).toEqual(before);
    // Without isolation the same codespace runs.
    expect((await run.run(['--isolation', 'none'])).stdout).toContain('COMPLETE');
  });

  it('makes the worktrees in the --worktrees folder, made if missing, and leaves it empty', async () => {
    const run = await makeIsolationRun(THREE_BLOCKS);
    await run.act({ a: [{ write: 'a.txt', text: 'a\n' }], b: [{ write: 'b.txt', text: 'b\n' }], c: [] });
    const folder = join(run.root, 'fast', 'trees');
    const result = await run.run(['--concurrency', '3', '--worktrees', folder]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');
    for (const block of ['a', 'b', 'c']) {
      const { cwd } = await run.agentRecord(`step-1-${block}`, 1);
      expect(dirname(cwd)).toBe(folder);
    }
    expect(run.git('ls-files').split('\n').sort()).toEqual(['README.md', 'a.txt', 'b.txt']);
    expect(await readdir(folder)).toEqual([]);
    expect(existsSync(join(run.codespace, '.git', 'planspace-worktrees'))).toBe(false);
    expect(run.extraWorktrees()).toEqual([]);
  });

  it('refuses a --worktrees folder inside the codespace, and writes nothing', async () => {
    const run = await makeIsolationRun(THREE_BLOCKS);
    const before = await readdir(run.planspace);
    const result = await run.run(['--worktrees', join(run.codespace, 'trees')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `--worktrees ${join(run.codespace, 'trees')} lies inside the codespace's repository`,
    );
    expect(await readdir(run.planspace)).toEqual(before);
    expect(existsSync(join(run.codespace, 'trees'))).toBe(false);
    expect(await run.recordFiles()).toEqual([]);
  });
});
