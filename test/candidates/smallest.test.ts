/**
 * `candidates: N` with `judge: smallest` (issue 20, items 1-3 and 6): every candidate runs in a
 * worktree of its own from the same base; the eligible one with the smallest diff is merged,
 * never one whose verification failed; every finished candidate's commit stays as a ref.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { worktreeRecordFiles } from '../engine/isolation-setup.js';
import { makeRun } from '../engine/setup.js';
import { makeCandidatesRun } from './setup.js';

describe('workflow run: candidates with judge: smallest', () => {
  it('merges the smallest eligible diff, skipping a smaller one whose verify failed, and keeps every commit as a ref', async () => {
    const schedule = [
      '[wait] 1. implement | alpha,beta,gamma -- make a change',
      '  - candidates: 4',
      '  - judge: smallest',
      // Candidate 3 writes the smallest diff of all, but no ok.txt: its verification fails.
      '  - verify: test -f ok.txt',
      '',
    ].join('\n');
    const run = await makeCandidatesRun(schedule);
    await run.plan({
      1: { write: { 'ok.txt': 'ok\n', 'a.txt': 'one\ntwo\nthree\n' } },
      2: { write: { 'ok.txt': 'ok\n', 'b.txt': 'one\n' } },
      3: { write: { 'c.txt': '' } },
      4: { write: { 'ok.txt': 'ok\n', 'd.txt': 'one\ntwo\n' } },
    });
    const result = await run.run(['--concurrency', '4']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');
    // Candidate 2 (beta) is merged, and only it.
    expect(await readFile(join(run.codespace, 'b.txt'), 'utf8')).toBe('one\n');
    for (const other of ['a.txt', 'c.txt', 'd.txt']) expect(existsSync(join(run.codespace, other))).toBe(false);
    const merges = run.git('log', '--merges', '--format=%s').split('\n');
    expect(merges).toHaveLength(1);
    expect(merges[0]).toContain('step 1 (implement) candidate 2, attempt 1, by beta');

    // All from the same base, each in a worktree of its own, each told its k; models cycle.
    const base = run.git('rev-list', '--max-parents=0', 'HEAD');
    const starts = await Promise.all([1, 2, 3, 4].map((k) => run.started(k)));
    expect(starts.map((s) => s?.model)).toEqual(['alpha', 'beta', 'gamma', 'alpha']);
    expect(starts.map((s) => s?.env.WORKFLOW_CANDIDATE)).toEqual(['1', '2', '3', '4']);
    expect(new Set(starts.map((s) => s?.cwd)).size).toBe(4);
    expect(starts.map((s) => s?.env.WORKFLOW_AGENT)).toEqual([1, 2, 3, 4].map((k) => `step-1-candidate-${k}`));

    const record = await run.candidatesRecord();
    expect(record).toMatchObject({ step: 1, round: 1, judge: 'smallest', base, picked: 2, merged: true });
    expect(record?.candidates.map((c) => [c.k, c.model, c.status, c.verify])).toEqual([
      [1, 'alpha', 'eligible', 'passed'],
      [2, 'beta', 'eligible', 'passed'],
      [3, 'gamma', 'failed', 'failed'],
      [4, 'alpha', 'eligible', 'passed'],
    ]);
    expect(record?.candidates.map((c) => (c.added ?? 0) + (c.removed ?? 0))).toEqual([4, 2, 0, 3]);
    expect(record?.candidates[2]?.reason).toMatch(/^verify failed: test -f ok.txt/);

    // Every candidate's commit is a ref a person can diff; no worktree or branch is left.
    const refs = run.candidateRefs();
    expect(refs).toEqual([1, 2, 3, 4].map((k) => `refs/planspace/${record?.runId}/step-1/candidate-${k}`));
    expect(run.git('diff', '--stat', base, refs[0] ?? '')).toContain('a.txt');
    expect(run.extraWorktrees()).toEqual([]);
    expect(run.planspaceBranches()).toEqual([]);
    expect(await worktreeRecordFiles(run.planspace)).toEqual([]);
    for (const k of [1, 2, 3, 4]) {
      expect(existsSync(join(run.planspace, 'artifacts', `step-1-candidate-${k}-attempt-1-prompt.md`))).toBe(true);
      expect(existsSync(join(run.planspace, 'artifacts', `step-1-candidate-${k}-output.md`))).toBe(true);
    }

    // The log tells each candidate's dispatch and end, and the pick.
    const events = await run.events();
    const dispatched = events.filter((e) => e.event === 'dispatched');
    expect(dispatched.map((e) => [e.candidate, e.model]).sort()).toEqual([
      [1, 'alpha'],
      [2, 'beta'],
      [3, 'gamma'],
      [4, 'alpha'],
    ]);
    const ended = events.filter((e) => e.event === 'candidate-ended');
    expect(ended.map((e) => [e.candidate, e.eligible]).sort()).toEqual([
      [1, true],
      [2, true],
      [3, false],
      [4, true],
    ]);
    const picked = events.filter((e) => e.event === 'picked');
    expect(picked).toMatchObject([{ step: 1, candidate: 2, of: 4, model: 'beta' }]);
    const log = await readFile(join(run.planspace, 'log.md'), 'utf8');
    expect(log).toContain('step 1 (implement): picked candidate 2/4 (beta)');
  });
});

describe('workflow run: candidates outside a git repository', () => {
  it('refuses to start, saying candidates need a git codespace, and writes nothing', async () => {
    const run = await makeRun({ schedule: '[wait] 1. implement | claude-opus -- race\n  - candidates: 2\n' });
    const result = await run.run();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`candidates: needs ${run.codespace} to be a git repository`);
    expect(existsSync(join(run.planspace, 'events.jsonl'))).toBe(false);
    expect((await run.statuses()).get(1)).toBe('wait');
  });
});
