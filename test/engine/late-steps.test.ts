/**
 * Steps added to `schedule.md` while `workflow run` runs, by another process: a step whose
 * model preflight never saw is looked up when it is dispatched. A model with no file, or a ref
 * that does not resolve, fails that step with a reason that names the problem (the engine
 * once crashed with a TypeError), and the run goes on as for any failed step.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { AGENTS_BIN, makeRun, waitFor, type RunSetup } from './setup.js';

const AGENT_TIMED = join(AGENTS_BIN, 'agent-timed.js');
const AGENT_WAIT = join(AGENTS_BIN, 'agent-wait-file.js');

/** A run whose step 1 (model `slow`) works until `<root>/go` exists: time to add a step. */
async function makeSlowRun(env: Readonly<Record<string, string>> = {}): Promise<RunSetup> {
  const setup = await makeRun({ schedule: '# Schedule: late steps\n\n[wait] 1. first | slow -- take a while\n', env });
  await setup.setModel('slow', { command: AGENT_WAIT, env: { GO_FILE: join(setup.root, 'go') } });
  return setup;
}

/** Waits for step 1's agent to start, appends `line` to the schedule atomically, and lets step 1 end. */
async function addStepWhileRunning(setup: RunSetup, line: string): Promise<void> {
  await waitFor('step 1 to be dispatched', async () =>
    (await setup.events().catch(() => [])).some((e) => e.event === 'dispatched' && e.step === 1),
  );
  const schedule = join(setup.planspace, 'schedule.md');
  await writeFileAtomic(schedule, `${await readFile(schedule, 'utf8')}${line}\n`);
  await writeFile(join(setup.root, 'go'), '');
}

describe('workflow run: a step added mid-run', () => {
  it('with a model first seen then (its file added then too) is dispatched to it', async () => {
    const setup = await makeSlowRun();
    const engine = setup.start();
    await setup.setModel('late-model', { command: AGENT_TIMED, env: { RECORD_DIR: setup.records, SLEEP_MS: '0' } });
    await addStepWhileRunning(setup, '[wait] 2. late | late-model -- added while step 1 ran');
    const result = await engine.ended;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done']);
    const dispatched = (await setup.events()).filter((e) => e.event === 'dispatched' && e.step === 2);
    expect(dispatched.map((e) => e.model)).toEqual(['late-model']);
  }, 60_000);

  it.each([
    ['a model with no file', '[wait] 2. late | ghost -- added while step 1 ran', "unknown model 'ghost'"],
    [
      'a ref that does not resolve',
      '[wait] 2. late | glm -- added while step 1 ran (implement.md Stage 99)',
      "'implement.md Stage 99'",
    ],
  ])(
    'with %s fails that step with the reason, and the run goes on',
    async (_, line, reason) => {
      const setup = await makeSlowRun({ VERDICT: 'ESCALATE: cannot fix that' });
      const engine = setup.start();
      await addStepWhileRunning(setup, line);
      await waitFor('the escalation of step 2', async () => {
        const ended = await Promise.race([engine.ended, Promise.resolve(undefined)]);
        if (ended) throw new Error(`the engine ended early, exit ${ended.code}: ${ended.stderr}`);
        return (await setup.events()).some((e) => e.event === 'question' && e.step === 2);
      });
      const failed = (await setup.events()).filter((e) => e.event === 'failed' && e.step === 2);
      expect(failed).toHaveLength(1);
      expect(String(failed[0]?.reason)).toContain(reason);
      // No agent was started for it.
      expect((await setup.events()).filter((e) => e.event === 'dispatched' && e.step === 2)).toEqual([]);

      expect(await setup.workflow(['answer', setup.planspace, '--id', 'q1', 'skip'])).toMatchObject({ code: 0 });
      const result = await engine.ended;
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect([...(await setup.statuses()).values()]).toEqual(['done', 'skip']);
    },
    60_000,
  );
});
