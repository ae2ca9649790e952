/**
 * Declared outputs under `isolation: worktree`: checked and hashed in the unit's worktree,
 * recorded relative to the codespace (where the merge put them), listed in a dependent's prompt
 * as codespace paths; an output git ignores fails the attempt, since the merge would leave it out.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeIsolationRun } from '../engine/isolation-setup.js';
import { waitFor } from '../engine/setup.js';

describe('outputs: under isolation: worktree', () => {
  it('records the merged files relative to the codespace; the dependent prompt names them there', async () => {
    const schedule = [
      '[wait] 1. build | git-agent -- build',
      '  - isolation: worktree',
      '  - outputs: build-*.txt',
      '[wait] 2. use | git-agent -- use',
      '  - isolation: worktree',
      '',
    ].join('\n');
    const run = await makeIsolationRun(schedule);
    await run.act({ 'step-1': [{ write: 'build-a.txt', text: 'made in a worktree\n' }] });
    expect(await run.run()).toMatchObject({ code: 0 });
    const file = join(run.codespace, 'build-a.txt');
    const sha256 = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
    const records = JSON.parse(
      await readFile(join(run.planspace, 'artifacts', 'step-1-outputs.json'), 'utf8'),
    ) as unknown[];
    expect(records).toEqual([
      expect.objectContaining({ path: 'build-a.txt', bytes: 19, sha256, codespace: run.codespace, step: 1 }),
    ]);
    const use = await run.agentRecord('step-2', 1);
    expect(use.cwd).not.toBe(run.codespace);
    expect(use.prompt).toContain(`- \`${file}\` (from step 1, 19 bytes, sha256 ${sha256})`);
    expect(use.prompt).toContain(`Your working tree \`${use.cwd}\` holds the same files`);
    expect(await run.workflow(['artifacts', run.planspace, '--verify'])).toMatchObject({
      code: 0,
      stdout: '1 output as recorded\n',
    });
  });

  it('an output git ignores fails the attempt (the merge would leave it out); nothing recorded', async () => {
    const schedule = [
      '[wait] 1. build | git-agent -- build',
      '  - isolation: worktree',
      '  - outputs: trace.log',
      '',
    ].join('\n');
    const run = await makeIsolationRun(schedule, { '.gitignore': '*.log\n' }, { VERDICT: 'ESCALATE: cannot fix' });
    await run.act({ 'step-1': [{ write: 'trace.log', text: 'ignored\n' }] });
    const engine = run.start();
    await waitFor('the escalation', async () => {
      const questions = await run.workflow(['questions', run.planspace]);
      return questions.stdout.includes('step=1') ? questions.stdout : undefined;
    });
    const log = await readFile(join(run.planspace, 'log.md'), 'utf8');
    expect(log).toContain('step 1 (build): missing outputs: trace.log (ignored by git, so never merged)');
    expect(existsSync(join(run.planspace, 'artifacts', 'step-1-outputs.json'))).toBe(false);
    expect(await run.workflow(['answer', run.planspace, '--id', 'q1', 'skip'])).toMatchObject({ code: 0 });
    expect((await engine.ended).code).toBe(0);
  });
});
