/**
 * Verification and isolation together (issue 19, items 1 and 2): a unit's `verify:` commands
 * run in its own worktree, before its work is merged, so a failed verification merges nothing.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeIsolationRun } from './isolation-setup.js';
import { waitFor } from './setup.js';

describe('workflow run: verify: under isolation: worktree', () => {
  it('runs each block’s verification in its worktree and merges only the block that passed', async () => {
    const schedule = [
      '[wait] 1. implement | git-agent -- one file per block',
      '  - blocks: good, bad',
      '  - isolation: worktree',
      // Passes where the agent wrote ok.txt with "ok": in its own worktree, never the codespace.
      '  - verify: pwd > "$WORKFLOW_PLANSPACE/verify-cwd-$WORKFLOW_BLOCK.txt" && grep -qx ok ok-$WORKFLOW_BLOCK.txt',
      '',
    ].join('\n');
    // The exception handler gives up on the failed block and asks a human.
    const run = await makeIsolationRun(schedule, undefined, { VERDICT: 'ESCALATE: cannot fix' });
    await run.act({
      good: [{ write: 'ok-good.txt', text: 'ok\n' }],
      bad: [{ write: 'ok-bad.txt', text: 'not ok\n' }],
    });
    const engine = run.start(['--concurrency', '2']);
    await waitFor('the escalation of the failed verification', async () => {
      const questions = await run.workflow(['questions', run.planspace]);
      return questions.stdout.includes('step=1') ? questions.stdout : undefined;
    });
    // Looked at before the human answers: the bad block's worktree is kept, its work unmerged.
    expect(run.extraWorktrees()).toHaveLength(1);
    expect(existsSync(join(run.codespace, 'ok-bad.txt'))).toBe(false);
    expect(await run.workflow(['answer', run.planspace, '--id', 'q1', 'skip'])).toMatchObject({ code: 0 });
    expect((await engine.ended).code).toBe(0);
    const record = await run.agentRecord('step-1-good', 1);
    const verifyCwd = (await readFile(join(run.planspace, 'verify-cwd-good.txt'), 'utf8')).trim();
    expect(verifyCwd).toBe(record.cwd);
    expect(verifyCwd).not.toBe(run.codespace);
    // The good block is merged; the bad block's work is not in the codespace.
    expect(await readFile(join(run.codespace, 'ok-good.txt'), 'utf8')).toBe('ok\n');
    expect(existsSync(join(run.codespace, 'ok-bad.txt'))).toBe(false);
    const merges = run.git('log', '--merges', '--format=%s');
    expect(merges).toContain('block good');
    expect(merges).not.toContain('block bad');
  });
});
