/**
 * An engine SIGKILLed while it makes a unit's worktree, commits its work or merges it (issue 19,
 * item 4; fault points of `src/fault.ts`), then `workflow run` again: the codespace is never
 * left mid-merge, a finished merge is recognised and not redone, an unfinished one is redone
 * from the start, nothing is merged twice, and no worktree, lock, branch or record is left.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeIsolationRun, worktreeRecordFiles, type IsolationRun } from '../engine/isolation-setup.js';
import { childEnv, WORKFLOW_BIN } from '../helpers.js';

/** Runs `workflow run` with the fault point `point` armed; resolves with the signal that ended it. */
function runWithFault(run: IsolationRun, point: string, extra: readonly string[] = []): Promise<string | null> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [WORKFLOW_BIN, 'run', ...run.runArgs, ...extra],
      { env: childEnv({ PLANSPACE_FAULT: point }) },
      () => {
        resolve(child.signalCode);
      },
    );
  });
}

/** What must hold of the codespace after any crash: not mid-merge, nothing changed by hand. */
function expectNotMidMerge(run: IsolationRun): void {
  expect(existsSync(join(run.codespace, '.git', 'MERGE_HEAD'))).toBe(false);
  expect(run.git('status', '--porcelain', '--untracked-files=all')).toBe('');
}

/** What must hold once the run after the crash has completed. */
async function expectClean(run: IsolationRun): Promise<void> {
  expectNotMidMerge(run);
  expect(run.extraWorktrees()).toEqual([]);
  expect(run.planspaceBranches()).toEqual([]);
  expect(await worktreeRecordFiles(run.planspace)).toEqual([]);
  const admin = join(run.codespace, '.git', 'worktrees');
  expect(existsSync(admin) ? await readdir(admin) : []).toEqual([]);
}

/** How many times agent-git.js ran for mailbox name `agent`. */
async function runsOf(run: IsolationRun, agent: string): Promise<number> {
  return (await readdir(run.records)).filter((name) => name.startsWith(`${agent}-`)).length;
}

/** SIGKILLs `pid`'s process group (agents lead their own), else `pid`; nothing if it is gone. */
function killIfAlive(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

const ONE_STEP = '[wait] 1. implement | git-agent -- append a line\n  - isolation: worktree\n';

describe('workflow run: the engine killed during isolation', () => {
  it.each([
    ['isolation-after-worktree-add', false, 0],
    ['isolation-after-commit', false, 1],
    ['isolation-before-merge', false, 1],
    ['isolation-after-merge', true, 1],
  ] as const)('at %s: the next run recovers (merged before: %s)', async (point, mergedBefore, agentRunsBefore) => {
    const run = await makeIsolationRun(ONE_STEP, { 'lines.txt': 'start\n' });
    await run.act({ 'step-1': [{ append: 'lines.txt', text: 'work\n' }] });
    expect(await runWithFault(run, point)).toBe('SIGKILL');
    expectNotMidMerge(run);
    expect(await runsOf(run, 'step-1')).toBe(agentRunsBefore);
    const mergesBefore = run.git('log', '--merges', '--oneline');
    expect(mergesBefore === '' ? 0 : mergesBefore.split('\n').length).toBe(mergedBefore ? 1 : 0);

    const result = await run.run();
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');
    // The work is in exactly once, by exactly one merge.
    expect(await readFile(join(run.codespace, 'lines.txt'), 'utf8')).toBe('start\nwork\n');
    expect(run.git('log', '--merges', '--format=%s').split('\n')).toHaveLength(1);
    expect(await runsOf(run, 'step-1')).toBe(mergedBefore ? 1 : agentRunsBefore + 1);
    const recovered = (await run.events()).filter((e) => e.event === 'worktree-recovered');
    expect(recovered.map((e) => e.merged)).toEqual([mergedBefore]);
    await expectClean(run);
  });

  it('after one block merged: that block is counted done, the other is redone, each once', async () => {
    const schedule = [
      '[wait] 1. implement | git-agent -- two blocks',
      '  - blocks: a, b',
      '  - isolation: worktree',
      '',
    ];
    const run = await makeIsolationRun(schedule.join('\n'));
    const gate = join(run.root, 'gate');
    await run.act({
      a: [{ append: 'a.txt', text: 'a\n' }],
      // b waits for the gate: the first run dies (merging a) before b can end.
      b: [{ waitFor: gate }, { append: 'b.txt', text: 'b\n' }],
    });
    expect(await runWithFault(run, 'isolation-after-merge', ['--concurrency', '2'])).toBe('SIGKILL');
    expectNotMidMerge(run);
    // Block b's agent outlives its engine; the next run's takeover would kill it, but it must
    // not see the gate first and write into the worktree being removed.
    for (const event of (await run.events()).filter((e) => e.event === 'dispatched' && e.block === 'b')) {
      killIfAlive(event.pid as number);
    }
    await writeFile(gate, '');
    const result = await run.run(['--concurrency', '2']);
    expect(result.stdout).toContain('COMPLETE');
    expect(await readFile(join(run.codespace, 'a.txt'), 'utf8')).toBe('a\n');
    expect(await readFile(join(run.codespace, 'b.txt'), 'utf8')).toBe('b\n');
    expect(await runsOf(run, 'step-1-a')).toBe(1);
    expect(run.git('log', '--merges', '--format=%s').split('\n')).toHaveLength(2);
    const events = await run.events();
    expect(events.filter((e) => e.event === 'merge-recognised').map((e) => e.block)).toEqual(['a']);
    await expectClean(run);
  });
});
