/**
 * Crash recovery of candidates (issue 20, item 5): an engine killed (SIGKILL) while candidates
 * run, while its judge agent runs, after recording its pick, or after merging it; the next `workflow run` runs the step
 * again from a clean base or recognises the merged pick: never two winners merged.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv, ROOT, WORKFLOW_BIN } from '../helpers.js';
import { worktreeRecordFiles } from '../engine/isolation-setup.js';
import { waitFor } from '../engine/setup.js';
import { makeCandidatesRun, type CandidatesRun } from './setup.js';

const AGENT_JUDGE = join(ROOT, 'test', 'fixtures', 'bin', 'agent-judge.js');

const SCHEDULE = '[wait] 1. implement | alpha,beta -- race\n  - candidates: 2\n  - judge: smallest\n';

/** Runs `workflow run` to its end with `PLANSPACE_FAULT=fault`: it kills itself there. */
function runWithFault(run: CandidatesRun, fault: string): { status: number | null; signal: NodeJS.Signals | null } {
  const result = spawnSync(process.execPath, [WORKFLOW_BIN, 'run', ...run.runArgs], {
    cwd: ROOT,
    env: childEnv({ PLANSPACE_FAULT: fault }),
    encoding: 'utf8',
  });
  return { status: result.status, signal: result.signal };
}

/** What every recovery must leave: one merge of one candidate, nothing else behind. */
async function expectOneWinner(run: CandidatesRun): Promise<void> {
  const merges = run.git('log', '--merges', '--format=%s').split('\n');
  expect(merges).toEqual([expect.stringContaining('candidate 1, attempt')]);
  expect(await readFile(join(run.codespace, 'one.txt'), 'utf8')).toBe('1\n');
  expect(run.git('ls-files').split('\n').sort()).toEqual(['README.md', 'one.txt']);
  expect((await run.statuses()).get(1)).toBe('done');
  expect(run.extraWorktrees()).toEqual([]);
  expect(run.planspaceBranches()).toEqual([]);
  expect(await worktreeRecordFiles(run.planspace)).toEqual([]);
}

describe('workflow run: candidates after a killed engine', () => {
  it('runs the round again from a clean base when the engine was killed while candidates ran', async () => {
    const run = await makeCandidatesRun(SCHEDULE);
    const never = join(run.records, 'never');
    await run.plan({
      1: { write: { 'one.txt': '1\n' }, waitFor: never },
      2: { write: { 'two.txt': '2\n2\n' }, waitFor: never },
    });
    const engine = run.start(['--concurrency', '2']);
    await waitFor('both candidates to start', async () => (await run.started(1)) && (await run.started(2)));
    process.kill(engine.pid, 'SIGKILL');
    await engine.ended;
    expect(run.extraWorktrees()).toHaveLength(2);

    await run.plan({ 1: { write: { 'one.txt': '1\n' } }, 2: { write: { 'two.txt': '2\n2\n' } } });
    const result = await run.run(['--concurrency', '2']);
    expect(result.stdout).toContain('COMPLETE');
    await expectOneWinner(run);
    // The second round's worktrees came from the same base, and a fresh record.
    expect((await run.started(1, 2))?.cwd).not.toBe((await run.started(1, 1))?.cwd);
    const recovered = (await run.events()).filter((e) => e.event === 'worktree-recovered');
    expect(recovered.map((e) => e.merged)).toEqual([false, false]);
  });

  it('runs the round again when the engine was killed after recording its pick, before merging', async () => {
    const run = await makeCandidatesRun(SCHEDULE);
    await run.plan({ 1: { write: { 'one.txt': '1\n' } }, 2: { write: { 'two.txt': '2\n2\n' } } });
    expect(runWithFault(run, 'candidates-after-pick').signal).toBe('SIGKILL');
    expect(await run.candidatesRecord()).toMatchObject({ picked: 1, merged: false });
    expect(run.git('log', '--merges', '--format=%s')).toBe('');

    const result = await run.run(['--concurrency', '2']);
    expect(result.stdout).toContain('COMPLETE');
    await expectOneWinner(run);
    expect(await run.started(1, 2)).toBeDefined();
  });

  it('uses the pick a killed engine had merged, without running or merging it again', async () => {
    const run = await makeCandidatesRun(SCHEDULE);
    await run.plan({ 1: { write: { 'one.txt': '1\n' } }, 2: { write: { 'two.txt': '2\n2\n' } } });
    expect(runWithFault(run, 'isolation-after-merge').signal).toBe('SIGKILL');
    expect(await run.candidatesRecord()).toMatchObject({ picked: 1, merged: false });

    const result = await run.run(['--concurrency', '2']);
    expect(result.stdout).toContain('COMPLETE');
    await expectOneWinner(run);
    expect(await run.started(1, 2)).toBeUndefined();
    const events = await run.events();
    expect(events.filter((e) => e.event === 'merge-recognised')).toMatchObject([{ step: 1, candidate: 1 }]);
  });

  it('runs the round again when the engine was killed while its judge agent ran, and merges the new pick once', async () => {
    const judged = SCHEDULE.replace('judge: smallest', 'judge: referee');
    const run = await makeCandidatesRun(judged);
    await run.plan({ 1: { write: { 'one.txt': '1\n' } }, 2: { write: { 'two.txt': '2\n2\n' } } });
    // A judge that takes its time: the engine is killed while it runs.
    await run.setModel('referee', {
      command: AGENT_JUDGE,
      env: { JUDGE_SAYS: 'PICK: 1 the smaller', JUDGE_SLEEP_MS: '60000' },
    });
    const engine = run.start(['--concurrency', '2']);
    await waitFor('the judge to start', async () =>
      (await run.eventsSoFar()).some((e) => e.event === 'judge-dispatched'),
    );
    process.kill(engine.pid, 'SIGKILL');
    await engine.ended;
    expect(run.git('log', '--merges', '--format=%s')).toBe('');
    expect(await run.candidatesRecord()).toMatchObject({ picked: null, merged: false });

    await run.setModel('referee', { command: AGENT_JUDGE, env: { JUDGE_SAYS: 'PICK: 1 the smaller' } });
    const result = await run.run(['--concurrency', '2']);
    expect(result.stdout).toContain('COMPLETE');
    await expectOneWinner(run);
    // A new round ran, from a clean base, and its judge picked once.
    expect(await run.started(1, 2)).toBeDefined();
    expect((await run.events()).filter((e) => e.event === 'picked')).toHaveLength(1);
  });
});
