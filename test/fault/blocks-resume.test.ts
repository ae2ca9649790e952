/**
 * A step of parallel blocks whose engine is SIGKILLed after some blocks are done (issue 17,
 * item 5: in a 20-kill loop, blocks did their work up to 11 times). The next run resumes the
 * step and dispatches only the blocks not done: each block's work happens exactly once.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import { AGENTS_BIN, makeRun, readJsonIfThere, waitFor } from '../engine/setup.js';

const AGENT_BLOCK_COUNT = join(AGENTS_BIN, 'agent-block-count.js');

const SCHEDULE = [
  '# Schedule: blocks and a crash',
  '',
  '[wait] 1. implement | counted -- one section per block',
  '  - blocks: a, b, c',
  '',
].join('\n');

/** How many times each block's work was done: the lines of `<dir>/<block>.count`. */
async function counts(dir: string): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const block of ['a', 'b', 'c']) {
    const text = await readFile(join(dir, `${block}.count`), 'utf8').catch(() => '');
    result[block] = text.split('\n').filter((line) => line !== '').length;
  }
  return result;
}

describe('workflow run: blocks done before the engine died', () => {
  it('are not run again when the next run resumes the step', async () => {
    const setup = await makeRun({ schedule: SCHEDULE });
    const gate = join(setup.root, 'gate');
    await setup.setModel('counted', {
      command: AGENT_BLOCK_COUNT,
      env: { COUNT_DIR: setup.root, GATED_BLOCK: 'c', GATE_FILE: gate },
    });
    const first = setup.start(['--concurrency', '3']);
    const dispatched = await waitFor('the three blocks to be dispatched', async () => {
      const events = (await setup.eventsSoFar()).filter((e) => e.event === 'dispatched');
      return events.length === 3 ? events : undefined;
    });
    for (const event of dispatched) if (typeof event.pid === 'number') setup.track(event.pid);
    // Blocks a and b end; the engine records them done. Block c waits for the gate.
    await waitFor('the engine to record blocks a and b done', async () => {
      const record = await readJsonIfThere<{ blocks: string[] }>(
        join(setup.planspace, 'artifacts', 'step-1-blocks-done.json'),
      );
      return record?.blocks.length === 2 ? true : undefined;
    });
    process.kill(first.pid, 'SIGKILL');
    await first.ended;
    expect(await counts(setup.root)).toEqual({ a: 1, b: 1, c: 0 });
    expect([...(await setup.statuses()).values()]).toEqual(['run']);

    const second = setup.start(['--concurrency', '3']);
    // Open the gate once the new run has dispatched block c: the dead run's block c was killed
    // at the takeover and never did its work.
    await waitFor('the next run to dispatch again', async () => {
      const events = (await setup.eventsSoFar()).filter((e) => e.event === 'dispatched');
      return events.length > 3;
    });
    for (const pid of dispatched.map((e) => e.pid))
      if (typeof pid === 'number') expect(isProcessAlive(pid)).toBe(false);
    await writeFile(gate, 'open\n');
    const result = await second.ended;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);

    expect(await counts(setup.root)).toEqual({ a: 1, b: 1, c: 1 });
    expect([...(await setup.statuses()).values()]).toEqual(['done']);
    const events = await setup.events();
    expect(events.filter((e) => e.event === 'dispatched').map((e) => e.block)).toEqual(
      expect.arrayContaining(['a', 'b', 'c']),
    );
    expect(
      events
        .filter((e) => e.event === 'dispatched')
        .slice(3)
        .map((e) => e.block),
    ).toEqual(['c']);
    expect(events.filter((e) => e.event === 'blocks-done').map((e) => e.message)).toEqual([
      'step 1 (implement): blocks a, b done before the engine stopped; not run again',
    ]);
    // The record belongs to the step's attempt, and goes when the step is done.
    expect(await readJsonIfThere(join(setup.planspace, 'artifacts', 'step-1-blocks-done.json'))).toBeUndefined();
  });
});
