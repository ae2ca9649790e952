/**
 * `candidates: N` with `judge: <model>` through a whole run (issue 20, items 2, 3 and 6): every
 * candidate finishes, then the judge agent (the package's judge.md, run with the step's judge
 * model: test/fixtures/bin/agent-judge.js) picks; its pick is merged. A judge answering garbage
 * picks nothing: the step fails with the judge's words, and nothing is merged.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { makeCandidatesRun } from './setup.js';

const AGENT_JUDGE = join(ROOT, 'test', 'fixtures', 'bin', 'agent-judge.js');

const SCHEDULE = [
  '[wait] 1. implement | alpha,beta,gamma -- make a change',
  '  - candidates: 3',
  '  - judge: referee',
  '',
].join('\n');

/** Three candidates, each writing a file of its own; all eligible. */
const PLANS = {
  1: { write: { 'a.txt': 'from one\n' } },
  2: { write: { 'b.txt': 'from two\n' } },
  3: { write: { 'c.txt': 'from three\n' } },
} as const;

describe('workflow run: candidates with a judge agent', () => {
  it('merges the candidate the judge picks, after showing it every candidate and diff', async () => {
    const run = await makeCandidatesRun(SCHEDULE);
    await run.plan(PLANS);
    const seen = join(run.records, 'judge.json');
    await run.setModel('referee', {
      command: AGENT_JUDGE,
      env: { JUDGE_SAYS: 'PICK: 2 the clearest change', JUDGE_RECORD: seen },
    });
    const result = await run.run(['--concurrency', '3']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');

    // Candidate 2's work, and only it, is in the codespace, by one merge.
    expect(await readFile(join(run.codespace, 'b.txt'), 'utf8')).toBe('from two\n');
    expect(existsSync(join(run.codespace, 'a.txt'))).toBe(false);
    expect(existsSync(join(run.codespace, 'c.txt'))).toBe(false);
    const merges = run.git('log', '--merges', '--format=%s').split('\n');
    expect(merges).toEqual([expect.stringContaining('step 1 (implement) candidate 2, attempt 1, by beta')]);

    // The judge saw the task, and every candidate with its model and diff.
    const { prompt } = JSON.parse(await readFile(seen, 'utf8')) as { prompt: string };
    expect(prompt).toContain('make a change');
    for (const [k, model, line] of [
      [1, 'alpha', '+from one'],
      [2, 'beta', '+from two'],
      [3, 'gamma', '+from three'],
    ] as const) {
      expect(prompt).toContain(model);
      expect(prompt).toContain(line);
      expect(prompt).toContain(`andidate ${k}`);
    }

    const record = await run.candidatesRecord();
    expect(record).toMatchObject({ judge: 'referee', picked: 2, merged: true, pickReason: 'the clearest change' });
    const events = await run.events();
    expect(events.filter((e) => e.event === 'judge-verdict')).toMatchObject([{ pick: 2 }]);
    expect(events.filter((e) => e.event === 'picked')).toMatchObject([{ candidate: 2, of: 3, model: 'beta' }]);
    expect(run.extraWorktrees()).toEqual([]);
  });

  it('fails the step with the judge answer when it is garbage, merging nothing', async () => {
    const run = await makeCandidatesRun(SCHEDULE, { VERDICT: 'ESCALATE: no pick' });
    await run.plan(PLANS);
    await run.setModel('referee', { command: AGENT_JUDGE, env: { JUDGE_SAYS: 'I like them all' } });
    const engine = run.start(['--concurrency', '3']);
    // The step fails and goes to the exception handler, which escalates: a question waits.
    await expect.poll(async () => (await run.statuses()).get(1), { timeout: 60_000 }).toBe('fail');
    await expect
      .poll(async () => (await run.workflow(['questions', run.planspace])).stdout, { timeout: 60_000 })
      .toContain('q1 | step=1');
    const failed = (await run.eventsSoFar()).find((e) => e.event === 'failed');
    expect(String(failed?.reason)).toContain('I like them all');
    expect(run.git('log', '--merges', '--format=%s')).toBe('');
    for (const file of ['a.txt', 'b.txt', 'c.txt']) expect(existsSync(join(run.codespace, file))).toBe(false);
    const record = await run.candidatesRecord();
    expect(record).toMatchObject({ picked: null, merged: false });
    expect(await run.workflow(['answer', run.planspace, '--id', 'q1', 'skip'])).toMatchObject({ code: 0 });
    const ended = await engine.ended;
    expect(ended.code).toBe(0);
    expect((await run.statuses()).get(1)).toBe('skip');
  });
});
