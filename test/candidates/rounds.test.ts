/**
 * Rounds of candidates (issue 20, items 1, 3 and 6): 8 candidates with `--concurrency 4` never
 * run more than 4 agents at once; a round with no eligible candidate fails the step with every
 * candidate's reason, and `retries:` runs a new round of N.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../engine/setup.js';
import { makeCandidatesRun } from './setup.js';

/** The most intervals `[start, end]` of `times` that overlap at any moment. */
function mostAtOnce(times: readonly [string, string, number][]): number {
  // Ends before starts at the same ms: one that ended is not running beside one that started.
  const sorted = [...times].sort((a, b) => a[2] - b[2] || (a[0] === 'end' ? -1 : 1));
  let now = 0;
  let most = 0;
  for (const [what] of sorted) {
    now += what === 'start' ? 1 : -1;
    most = Math.max(most, now);
  }
  return most;
}

describe('workflow run: rounds of candidates', () => {
  it('runs 8 candidates with --concurrency 4, never more than 4 agents at once, and merges one', async () => {
    const schedule = '[wait] 1. implement | alpha,beta -- eight\n  - candidates: 8\n  - judge: smallest\n';
    const run = await makeCandidatesRun(schedule);
    await run.plan(
      Object.fromEntries(
        Array.from({ length: 8 }, (_, i) => [
          i + 1,
          { write: { [`f${i + 1}.txt`]: 'x\n'.repeat(i + 1) }, sleepMs: 1500 },
        ]),
      ),
    );
    const result = await run.run(['--concurrency', '4']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');
    const times = await run.times();
    expect(times.filter(([what]) => what === 'start')).toHaveLength(8);
    expect(times.filter(([what]) => what === 'end')).toHaveLength(8);
    expect(mostAtOnce(times)).toBeLessThanOrEqual(4);
    // The smallest diff: candidate 1's single line.
    expect(await readFile(join(run.codespace, 'f1.txt'), 'utf8')).toBe('x\n');
    expect(run.git('ls-files').split('\n').sort()).toEqual(['README.md', 'f1.txt']);
    const record = await run.candidatesRecord();
    expect(record?.candidates.map((c) => c.model)).toEqual([
      'alpha',
      'beta',
      'alpha',
      'beta',
      'alpha',
      'beta',
      'alpha',
      'beta',
    ]);
    expect(run.candidateRefs()).toHaveLength(8);
    expect(run.extraWorktrees()).toEqual([]);
  });

  it('fails the step with every candidate’s reason after a new round of N, then asks the exception handler', async () => {
    const schedule = [
      '[wait] 1. implement | alpha,beta -- nothing passes',
      '  - candidates: 2',
      '  - verify: test -f ok.txt',
      '  - retries: 1',
      '  - backoff: 10ms',
      '',
    ].join('\n');
    const run = await makeCandidatesRun(schedule, { VERDICT: 'ESCALATE: cannot fix' });
    await run.plan({ 1: { write: { 'a.txt': 'a\n' } }, 2: { exit: 1 } });
    const engine = run.start(['--concurrency', '2']);
    await waitFor('the escalation', async () => {
      const questions = await run.workflow(['questions', run.planspace]);
      return questions.stdout.includes('step=1') ? questions.stdout : undefined;
    });
    const events = await run.eventsSoFar();
    // Two rounds of two, each candidate run twice.
    expect(events.filter((e) => e.event === 'dispatched' && e.step === 1)).toHaveLength(4);
    expect(await run.started(1, 2)).toBeDefined();
    expect(await run.started(2, 2)).toBeDefined();
    expect(events.filter((e) => e.event === 'round-failed')).toMatchObject([{ step: 1, round: 1, of: 2 }]);
    const failed = events.filter((e) => e.event === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.reason).toMatch(
      /^candidate 1 \(alpha\): verify failed: test -f ok\.txt \(exit 1\); candidate 2 \(beta\): exit code 1$/,
    );
    const prompt = await readFile(join(run.planspace, 'artifacts', 'exception-1-prompt.md'), 'utf8');
    expect(prompt).toContain('candidate 2 (beta): exit code 1');
    const record = await run.candidatesRecord();
    expect(record).toMatchObject({ round: 2, picked: null, merged: false });
    expect(record?.candidates.map((c) => c.status)).toEqual(['failed', 'failed']);
    expect(await run.workflow(['answer', run.planspace, '--id', 'q1', 'skip'])).toMatchObject({ code: 0 });
    expect((await engine.ended).code).toBe(0);
    expect(run.git('log', '--merges', '--format=%s')).toBe('');
    expect(run.extraWorktrees()).toEqual([]);
    expect(run.planspaceBranches()).toEqual([]);
  });
});
