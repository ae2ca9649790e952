/**
 * An agent whose output is 1 GiB (a sparse file, made in no time): the engine reads only the
 * tail it needs, of the failed step's output for the exception-handler prompt and of the
 * handler's output for its verdict. Reading the whole file, as it once did, makes a string
 * longer than V8 allows and the engine crashed with ERR_STRING_TOO_LONG.
 */
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENTS_BIN, makeRun, waitFor } from './setup.js';

const AGENT_HUGE = join(AGENTS_BIN, 'agent-huge-output.js');
const GIB = 2 ** 30;

describe('workflow run: an agent writes 1 GiB of output', () => {
  it("gives the exception handler the output's tail and reads the handler's verdict from its tail", async () => {
    const setup = await makeRun({
      schedule: '# Schedule: huge\n\n[wait] 1. flood | huge -- print far too much\n',
      models: {
        huge: { command: AGENT_HUGE, env: { TAIL: 'the step gave up here' } },
        handler: { command: AGENT_HUGE, env: { TAIL: 'ESCALATE: read the tail', AGENT_EXIT: '0' } },
      },
    });
    const engine = setup.start();
    const listed = await waitFor('the escalation in workflow questions', async () => {
      const questions = await setup.workflow(['questions', setup.planspace]);
      if (questions.code !== 0) throw new Error(`workflow questions failed: ${questions.stderr}`);
      const ended = await Promise.race([engine.ended, Promise.resolve(undefined)]);
      if (ended) throw new Error(`the engine ended early, exit ${ended.code}: ${ended.stderr}`);
      return questions.stdout.includes('step=1') ? questions.stdout : undefined;
    });
    // The verdict is the last line of the handler's 1 GiB output.
    expect(listed).toContain('ESCALATE: read the tail');
    const artifacts = join(setup.planspace, 'artifacts');
    expect((await stat(join(artifacts, 'step-1-output.md'))).size).toBeGreaterThan(GIB);
    const prompt = await readFile(join(artifacts, 'exception-1-prompt.md'), 'utf8');
    expect(prompt).toContain('the step gave up here');
    expect(prompt.length).toBeLessThan(1024 * 1024);

    expect(await setup.workflow(['answer', setup.planspace, '--id', 'q1', 'skip'])).toMatchObject({ code: 0 });
    const result = await engine.ended;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/COMPLETE\n$/);
  }, 60_000);
});
