/**
 * A `done:`/`fail:` report counts only for the step its sender runs: one tagged with another
 * step's number (`done:2` from step 1's agent) is refused as a protocol error naming the agent
 * and the tag, and settles nothing (issue 10).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENTS_BIN, makeRun } from './setup.js';

const AGENT_TAGGED = join(AGENTS_BIN, 'agent-tagged.js');

const SCHEDULE = [
  '# Schedule: tags',
  '',
  '[wait] 1. first | liar -- report with the wrong tag',
  '[wait] 2. second | honest -- report with the right tag',
  '',
].join('\n');

describe('workflow run: report tags', () => {
  it.each(['fail', 'done'])('refuses %s:2 from the agent of step 1, which settles by its exit code', async (kind) => {
    const setup = await makeRun({
      schedule: SCHEDULE,
      models: { liar: { command: AGENT_TAGGED, env: { REPORT: kind, TAG: '2' } }, honest: { command: AGENT_TAGGED } },
    });
    const result = await setup.run();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).entries()]).toEqual([
      [1, 'done'],
      [2, 'done'],
    ]);

    const events = await setup.events();
    const refused = events.filter((e) => e.event === 'protocol-error');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ step: 1, from: 'step-1', tag: '2', report: kind });
    expect(refused[0]?.message).toBe(
      `step 1: refused a ${kind}: report tagged '2' from step-1: the agent runs step 1, so its reports must be tagged 1`,
    );
    // Neither step took the summary of the refused report; step 2 was settled by its own agent.
    expect(events.filter((e) => e.event === 'failed')).toEqual([]);
    expect(JSON.stringify(events.filter((e) => e.event === 'done' && e.step === 1))).not.toContain('sent by');
    const second = events.filter((e) => e.event === 'done' && e.step === 2);
    expect(JSON.stringify(second)).toContain('sent by the agent of step 2');
    expect(events.filter((e) => e.event === 'dispatched').map((e) => e.step)).toEqual([1, 2]);
  });
});
