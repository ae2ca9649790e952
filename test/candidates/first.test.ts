/**
 * `candidates: N` with `judge: first` (issue 20, items 2 and 6): the first eligible candidate
 * wins; the others still running are stopped at once, process trees and all, while the run goes
 * on; those not started never start; one that finished first but failed its verification is
 * never picked.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import { waitFor } from '../engine/setup.js';
import { makeCandidatesRun } from './setup.js';

describe('workflow run: candidates with judge: first', () => {
  it('merges the first eligible candidate and stops the others, their trees included, before the run ends', async () => {
    const schedule = [
      '[wait] 1. implement | alpha,beta,gamma -- race',
      '  - candidates: 5',
      '  - verify: test -f ok.txt',
      '[wait] 2. after | alpha -- holds the run open while the test looks',
      '  - needs: 1',
      '',
    ].join('\n');
    const run = await makeCandidatesRun(schedule);
    const go = join(run.records, 'go');
    const release = join(run.records, 'release');
    const never = join(run.records, 'never');
    await run.plan({
      // Ends first, but its verification fails: never the winner.
      1: { write: { 'one.txt': '1\n' } },
      // Wins once candidate 4 has started (in the slot candidate 1 freed).
      2: { write: { 'ok.txt': 'ok\n', 'two.txt': '2\n' }, waitFor: go },
      3: { write: { 'ok.txt': 'ok\n' }, child: true, waitFor: never },
      4: { write: { 'ok.txt': 'ok\n', [go]: '' }, child: true, waitFor: never },
      // Waits for a slot, which it never gets before the race is won.
      5: { write: { 'ok.txt': 'ok\n' } },
      'step-2': { waitFor: release },
    });
    const engine = run.start(['--concurrency', '3']);
    const [three, four] = await waitFor('candidates 3 and 4 to start', async () => {
      const both = [await run.started(3), await run.started(4)];
      return both.every((each) => each !== undefined) ? both : undefined;
    });
    const pids = [three?.pid, three?.child, four?.pid, four?.child].map(Number);
    // Step 2 runs: step 1 is settled, and the run goes on.
    await waitFor('step 2 to start', () => run.started('step-2'));
    // The losers and their children are gone while the run still runs, not at its end.
    await waitFor('the losers to be gone', () => pids.every((pid) => !isProcessAlive(pid)));
    expect(engine.stdout()).not.toContain('COMPLETE');
    await writeFile(release, '');
    const result = await engine.ended;
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('COMPLETE');

    expect(await readFile(join(run.codespace, 'two.txt'), 'utf8')).toBe('2\n');
    expect(existsSync(join(run.codespace, 'one.txt'))).toBe(false);
    const merges = run.git('log', '--merges', '--format=%s').split('\n');
    expect(merges).toEqual([expect.stringContaining('candidate 2, attempt 1, by beta')]);
    expect(await run.started(5)).toBeUndefined();

    const record = await run.candidatesRecord();
    expect(record).toMatchObject({
      judge: 'first',
      picked: 2,
      merged: true,
      pickReason: 'the first eligible candidate',
    });
    expect(record?.candidates.map((c) => [c.k, c.status])).toEqual([
      [1, 'failed'],
      [2, 'eligible'],
      [3, 'stopped'],
      [4, 'stopped'],
      [5, 'stopped'],
    ]);
    expect(record?.candidates[4]?.reason).toBe('not started: candidate 2 won first');
    // The finished candidates keep their commits; the stopped ones had none to keep.
    expect(run.candidateRefs()).toEqual([1, 2].map((k) => `refs/planspace/${record?.runId}/step-1/candidate-${k}`));
    expect(run.extraWorktrees()).toEqual([]);
    expect(run.planspaceBranches()).toEqual([]);

    const events = await run.events();
    const stopped = events.filter((e) => e.event === 'candidate-stopped').map((e) => e.candidate);
    expect(stopped.sort()).toEqual([3, 4, 5]);
    // A stopped loser is no abort: the step was never put back to [wait].
    expect(events.filter((e) => e.event === 'aborted' || e.event === 'stopped')).toEqual([]);
    expect(events.filter((e) => e.event === 'done').map((e) => e.step)).toEqual([1, 2]);
  });
});
