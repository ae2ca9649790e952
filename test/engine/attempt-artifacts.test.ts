/**
 * Every attempt keeps its own prompt and output (`artifacts/step-N-attempt-K-*.md`), the
 * DESIGN.md names (`step-N-output.md`) are the latest attempt's, and a failure line says what
 * the agent said last: in `log.md`, `events.jsonl`, `workflow report`. Real engine, real agents.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/engine/report.js';
import { AGENT_HANDLER, AGENTS_BIN, makeRun, type RunSetup } from './setup.js';

const AGENT_FLAKY = join(AGENTS_BIN, 'agent-flaky.js');

/** A flaky step 1 whose first attempt prints `attempt 1: starting`, then `boom-1` on stderr, and exits 1. */
async function flakyRun(attributes: readonly string[]): Promise<RunSetup> {
  const setup = await makeRun({
    schedule: ['# Schedule: attempts', '', '[wait] 1. flaky | flaky -- fails once, then works', ...attributes, ''].join(
      '\n',
    ),
  });
  // `{n}` is the agent's own placeholder; in a model file it is written `{{n}}`, as `{n}` would be the engine's.
  await setup.setModel('flaky', {
    command: AGENT_FLAKY,
    env: { COUNTER_FILE: join(setup.root, 'flaky-attempts'), FAIL_TIMES: '1', FAIL_TEXT: 'boom-{{n}}' },
  });
  await setup.setModel('handler', { command: AGENT_HANDLER });
  return setup;
}

function artifact(setup: RunSetup, name: string): Promise<string> {
  return readFile(join(setup.planspace, 'artifacts', name), 'utf8');
}

async function sameFile(setup: RunSetup, a: string, b: string): Promise<boolean> {
  const [first, second] = await Promise.all([a, b].map((name) => stat(join(setup.planspace, 'artifacts', name))));
  return first?.ino === second?.ino && first?.dev === second?.dev;
}

describe('artifacts of every attempt', () => {
  it('keeps a retried attempt’s output; the failure line ends with its last lines; report shows them', async () => {
    const setup = await flakyRun(['  - retries: 1', '  - backoff: 100ms']);
    const result = await setup.run();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    expect(await artifact(setup, 'step-1-attempt-1-output.md')).toBe('attempt 1: starting\nboom-1\n');
    expect(await artifact(setup, 'step-1-attempt-2-output.md')).toBe('attempt 2: worked\n');
    expect(await artifact(setup, 'step-1-attempt-1-prompt.md')).toContain('[run] 1. flaky | flaky');
    // The DESIGN.md names are the latest attempt's files under a second name.
    expect(await sameFile(setup, 'step-1-output.md', 'step-1-attempt-2-output.md')).toBe(true);
    expect(await sameFile(setup, 'step-1-prompt.md', 'step-1-attempt-2-prompt.md')).toBe(true);

    const tail = 'attempt 1: starting · boom-1';
    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toMatch(
      new RegExp(
        `step 1 \\(flaky\\): attempt 1 of 2 failed, exit code 1; retrying in 100ms-200ms; output ends: ${tail}\\n`,
      ),
    );
    expect(result.stdout).toContain(
      `attempt 1 of 2 failed, exit code 1; retrying in 100ms-200ms; output ends: ${tail}\n`,
    );
    const events = await setup.events();
    expect(events.find((event) => event.event === 'attempt-failed')).toMatchObject({
      reason: 'exit code 1',
      outputTail: tail,
    });
    expect(events.filter((event) => event.event === 'dispatched').map((event) => event.output)).toEqual([
      join(setup.planspace, 'artifacts', 'step-1-attempt-1-output.md'),
      join(setup.planspace, 'artifacts', 'step-1-attempt-2-output.md'),
    ]);

    const report = await setup.workflow(['report', setup.planspace]);
    expect(report.stdout).toContain(`\nstep 1 last failure: exit code 1: ${tail}\n`);
    const json = JSON.parse((await setup.workflow(['report', setup.planspace, '--json'])).stdout) as RunReport;
    expect(json.steps[0]?.lastFailure).toBe(`exit code 1: ${tail}`);
  });

  it('numbers attempts on across a fix, keeps each exception handler run, and puts the tail in the failed line', async () => {
    const setup = await flakyRun([]);
    const result = await setup.run();
    expect(result.code).toBe(0);

    // The handler's FIXED retried the step: a new round of attempts, numbered on, not over.
    expect(await artifact(setup, 'step-1-attempt-1-output.md')).toBe('attempt 1: starting\nboom-1\n');
    expect(await artifact(setup, 'step-1-attempt-2-output.md')).toBe('attempt 2: worked\n');
    expect(await sameFile(setup, 'step-1-output.md', 'step-1-attempt-2-output.md')).toBe(true);
    expect(await artifact(setup, 'exception-1-attempt-1-output.md')).toContain('FIXED: simulated repair');
    expect(await sameFile(setup, 'exception-1-output.md', 'exception-1-attempt-1-output.md')).toBe(true);
    // The handler was shown the failed attempt's own output.
    const handlerPrompt = await artifact(setup, 'exception-1-prompt.md');
    expect(handlerPrompt).toContain('step-1-attempt-1-output.md');
    expect(handlerPrompt).toContain('boom-1');

    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toContain('step 1 (flaky): failed, exit code 1: attempt 1: starting · boom-1\n');
    expect((await setup.events()).find((event) => event.event === 'failed')).toMatchObject({
      reason: 'exit code 1',
      outputTail: 'attempt 1: starting · boom-1',
    });
  });
});
