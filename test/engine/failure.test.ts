/**
 * Failures and humans, through real processes: the exception handler's verdict, an escalation
 * answered from another shell, a hung exception handler stopped by its `timeout` or `stall`,
 * and an agent's question answered from another shell.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import { AGENT_HANDLER, makeRun, readJsonIfThere, waitFor, waitForExit } from './setup.js';

const SCHEDULE = [
  '# Schedule: failures',
  '',
  '[wait] 1. prepare | glm -- get things ready',
  '[wait] 2. build | claude-opus -- build the thing',
  '[wait] 3. finish | glm -- wrap up',
  '',
].join('\n');

describe('workflow run: a failed step', () => {
  it('goes to the exception handler, which fixes it; the step runs again and ends [done]', async () => {
    const setup = await makeRun({ schedule: SCHEDULE, env: { FAIL_ONCE: '2' } });
    const result = await setup.run();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done', 'done']);

    const handlerPrompt = await readFile(join(setup.planspace, 'artifacts', 'exception-2-prompt.md'), 'utf8');
    expect(handlerPrompt.startsWith('You handle failures.')).toBe(true);
    expect(handlerPrompt).toContain('Step 2 (build) failed: exit code 1.');
    expect(handlerPrompt).toContain('[run] 2. build | claude-opus -- build the thing');
    expect(handlerPrompt).toContain('simulated failure');
    const handlerOutput = await readFile(join(setup.planspace, 'artifacts', 'exception-2-output.md'), 'utf8');
    expect(handlerOutput).toMatch(/FIXED: simulated repair\n$/);

    // The agent ran twice: its record counts the attempts, and the log shows two dispatches.
    expect((await setup.record(2)).attempt).toBe(2);
    expect((await setup.record(1)).attempt).toBe(1);
    const events = await setup.events();
    expect(events.filter((e) => e.step === 2).map((e) => e.event)).toEqual([
      'dispatched',
      'failed',
      'exception-handler',
      'fixed',
      'dispatched',
      'done',
    ]);
    const runIds = events.filter((e) => e.step === 2 && e.event === 'dispatched').map((e) => e.runId);
    expect(new Set(runIds).size).toBe(2);
  });

  it('escalates on ESCALATE; a human answers skip from another shell and the run completes', async () => {
    const setup = await makeRun({ schedule: SCHEDULE, env: { FAIL_ONCE: '2', VERDICT: 'ESCALATE: needs a human' } });
    const engine = setup.start();
    const listed = await waitFor('the escalation in workflow questions', async () => {
      const questions = await setup.workflow(['questions', setup.planspace]);
      expect(questions.code).toBe(0);
      return questions.stdout.includes('step=2') ? questions.stdout : undefined;
    });
    expect(listed).toMatch(
      /^q1 \| step=2 \| from=human \| asked=\S+ \| Step 2 \(build\) needs a decision: ESCALATE: needs a human\./,
    );
    // The run is waiting for the human: step 2 stays [fail] and step 3 has not started.
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'fail', 'wait']);

    const answer = await setup.workflow(['answer', setup.planspace, '--id', 'q1', 'skip']);
    expect(answer).toMatchObject({ code: 0, stdout: 'answered:q1\n' });
    const result = await engine.ended;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'skip', 'done']);
    // Skipped, not retried: the agent ran once.
    expect((await setup.record(2)).attempt).toBe(1);
    expect((await setup.workflow(['questions', setup.planspace])).stdout).toBe('');
    const events = await setup.events();
    expect(events.filter((e) => e.step === 2).map((e) => e.event)).toEqual([
      'dispatched',
      'failed',
      'exception-handler',
      'question',
      'skipped',
    ]);
  });
});

describe('workflow run: a hung exception handler', () => {
  it.each([
    {
      limit: 'timeout: 2s',
      reason: 'the exception handler timed out after 2s and was stopped, with no verdict',
    },
    {
      limit: 'stall: 1s',
      reason: 'the exception handler stalled (no output and no message for 1s) and was stopped, with no verdict',
    },
  ])('is stopped by its $limit and the failure goes to a human, who answers skip', async ({ limit, reason }) => {
    const setup = await makeRun({
      schedule: SCHEDULE,
      env: { FAIL_ONCE: '2' },
      handler: `---\nmodel: handler\n${limit}\n---\nYou handle failures.\n`,
    });
    const pidFile = join(setup.root, 'handler-pid');
    // Prints one line, writes its pid, then hangs for ten minutes.
    await setup.setModel('handler', {
      command: AGENT_HANDLER,
      env: { GATE_FILE: pidFile, HANDLER_SLEEP_MS: '600000' },
    });
    const engine = setup.start();
    const pid = await waitFor('the handler to start', () => readJsonIfThere<number>(pidFile));
    setup.track(pid);
    const listed = await waitFor('the escalation in workflow questions', async () => {
      const { stdout } = await setup.workflow(['questions', setup.planspace]);
      return stdout.includes('step=2') ? stdout : undefined;
    });
    expect(listed).toMatch(
      /^q1 \| step=2 \| from=human \| asked=\S+ \| Step 2 \(build\) needs a decision: (.*)\. Answer /,
    );
    expect(listed).toContain(`Step 2 (build) needs a decision: ${reason}. Answer retry, skip, abort`);
    await waitForExit(pid, 'the hung exception handler');
    expect(isProcessAlive(pid)).toBe(false);

    const answer = await setup.workflow(['answer', setup.planspace, '--id', 'q1', 'skip']);
    expect(answer).toMatchObject({ code: 0, stdout: 'answered:q1\n' });
    const result = await engine.ended;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'skip', 'done']);
    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toContain(`step 2 (build): ${reason}`);
  });
});

describe('workflow run: an agent asks a question', () => {
  it("delivers a human's answer from another shell to the agent as answer:<text>", async () => {
    const setup = await makeRun({ schedule: SCHEDULE, env: { ASK: '2' } });
    const engine = setup.start();
    const id = await waitFor('the agent question in workflow questions', async () => {
      const { stdout } = await setup.workflow(['questions', setup.planspace]);
      return /^(q\d+) \| step=2 \| from=step-2 \| .* \| Which colour should the button be\?$/m.exec(stdout)?.[1];
    });
    const answer = await setup.workflow(['answer', setup.planspace, '--id', id, 'teal,', 'not', 'blue']);
    expect(answer).toMatchObject({ code: 0, stdout: `answered:${id}\n` });

    const result = await engine.ended;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect((await setup.record(2)).answer).toBe('answer:teal, not blue\n');
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done', 'done']);
    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toContain(`QUESTION ${id} from step-2: Which colour should the button be?`);
    expect(log).toContain(`question ${id} answered: teal, not blue`);
  });
});
