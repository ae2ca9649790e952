/**
 * What an isolated agent can and cannot do to the integration branch and to other units'
 * worktrees from its own worktree (issue 19, item 5), and what an abort leaves (item 4).
 *
 * Protected: `git checkout` of the integration branch or of another unit's branch (git refuses
 * a branch checked out elsewhere), `git branch -f` of the integration branch (likewise), and
 * `git reset --hard` (moves only the agent's own branch; the engine merges what that branch
 * holds into the head it recorded). Detected: the integration branch moved by plumbing
 * (`git update-ref`), which the engine refuses to merge onto. Not protected (no sandbox): an
 * agent that `cd`s elsewhere and writes files or runs `git worktree remove` there.
 */
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './setup.js';
import { makeIsolationRun, worktreeRecordFiles } from './isolation-setup.js';

describe('workflow run: an isolated agent moving refs from its worktree', () => {
  it('cannot check out or force the integration branch, nor take another block; its reset moves only its branch', async () => {
    const schedule = ['[wait] 1. implement | git-agent -- two blocks', '  - blocks: a, b', ''].join('\n');
    const run = await makeIsolationRun(schedule, { 'README.md': 'hello\n' });
    await writeFile(join(run.codespace, 'second.txt'), 'second\n');
    run.git('add', 'second.txt');
    run.git('commit', '--quiet', '-m', 'second');
    const start = run.git('rev-parse', 'HEAD');
    const bReady = join(run.root, 'b-ready');
    const aDone = join(run.root, 'a-done');
    await run.act({
      a: [
        { waitFor: bReady },
        { git: ['checkout', 'main'] },
        { git: ['checkout', '{branch:step-1-b}'] },
        { git: ['branch', '-f', 'main', 'HEAD~1'] },
        { git: ['reset', '--hard', 'HEAD~1'] },
        { write: 'a.txt', text: 'from a\n' },
        { write: aDone, text: '' },
      ],
      b: [{ write: 'b.txt', text: 'from b\n' }, { write: bReady, text: '' }, { waitFor: aDone }],
    });
    const result = await run.run(['--concurrency', '2', '--isolation', 'worktree']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');
    const a = await run.agentRecord('step-1-a', 1);
    expect(a.git.map((g) => [g.args[0], g.status])).toEqual([
      ['checkout', 128],
      ['checkout', 128],
      ['branch', 128],
      ['reset', 0],
    ]);
    expect(a.git[0]?.stderr).toContain("'main' is already checked out");
    expect(a.git[1]?.stderr).toMatch(/planspace\/\S+\/step-1-b' is already checked out/);
    // main holds every commit it had, and both blocks' work.
    expect(run.git('merge-base', '--is-ancestor', start, 'HEAD')).toBe('');
    expect(run.git('show', 'HEAD:second.txt')).toBe('second');
    expect(run.git('show', 'HEAD:a.txt')).toBe('from a');
    expect(run.git('show', 'HEAD:b.txt')).toBe('from b');
    expect(run.git('status', '--porcelain')).toBe('');
    expect(run.extraWorktrees()).toEqual([]);
  });

  it('moving the integration branch by plumbing is found at the merge, which is refused', async () => {
    const run = await makeIsolationRun('[wait] 1. implement | git-agent -- x\n  - isolation: worktree\n');
    await writeFile(join(run.codespace, 'second.txt'), 'second\n');
    run.git('add', 'second.txt');
    run.git('commit', '--quiet', '-m', 'second');
    const start = run.git('rev-parse', 'HEAD');
    const parent = run.git('rev-parse', 'HEAD~1');
    await run.act({
      'step-1': [{ write: 'x.txt', text: 'x\n' }, { git: ['update-ref', 'refs/heads/main', 'HEAD~1'] }],
    });
    const engine = run.start();
    const failed = await waitFor('the merge to be refused', async () =>
      (await run.eventsSoFar()).find((e) => e.event === 'merge-failed'),
    );
    expect(failed.reason).toBe(
      `the integration branch main was moved outside the engine, from ${start.slice(0, 12)} to ${parent.slice(0, 12)}, ` +
        'which does not contain it; not merged (move it back, or start a new run)',
    );
    await run.workflow(['abort', run.planspace]);
    expect((await engine.ended).code).toBe(4);
    // Nothing was merged onto the moved branch, and the codespace's files are as they were.
    expect(run.git('rev-parse', 'main')).toBe(parent);
    expect(existsSync(join(run.codespace, 'x.txt'))).toBe(false);
  });
});

describe('workflow run: abort under isolation', () => {
  it('leaves no worktree, lock, branch or record behind', async () => {
    const gate = join(
      await import('node:os').then((os) => os.tmpdir()),
      `never-${process.pid}-${Date.now().toString(36)}`,
    );
    const run = await makeIsolationRun(
      ['[wait] 1. implement | git-agent -- waits', '  - blocks: a, b', '  - isolation: worktree', ''].join('\n'),
    );
    await run.act({ a: [{ write: 'a.txt', text: 'a\n' }, { waitFor: gate }], b: [{ waitFor: gate }] });
    const engine = run.start(['--concurrency', '2']);
    await waitFor('both blocks to be dispatched', async () =>
      (await run.eventsSoFar()).filter((e) => e.event === 'dispatched').length === 2 ? true : undefined,
    );
    expect(run.extraWorktrees()).toHaveLength(2);
    await run.workflow(['abort', run.planspace]);
    expect((await engine.ended).code).toBe(4);
    expect(run.extraWorktrees()).toEqual([]);
    expect(run.planspaceBranches()).toEqual([]);
    expect(await worktreeRecordFiles(run.planspace)).toEqual([]);
    const adminDir = join(run.codespace, '.git', 'worktrees');
    expect(existsSync(adminDir) ? await readdir(adminDir) : []).toEqual([]);
    expect(run.git('status', '--porcelain')).toBe('');
    expect([...(await run.statuses()).values()]).toEqual(['wait']);
  });
});
