/**
 * An engine killed between writing `[done]` to the schedule and logging `done`: the engine that
 * takes over logs the line, once, marked recovered (the crash loop found this window at random).
 * The window is made on disk: a dead engine's hold, its `started` and `dispatched` events, and
 * its step `[done]` in the schedule.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRun } from './setup.js';

const SCHEDULE = [
  '# Schedule: recovery',
  '',
  '[done] 1. prepare | glm -- get things ready',
  '[done] 2. marked | glm -- marked done by a human, never dispatched by the dead run',
  '[wait] 3. finish | glm -- wrap up',
  '',
].join('\n');

describe('workflow run after an engine died between [done] and its log line', () => {
  it('logs the dead run’s missing done line, and no line for a step the run never dispatched', async () => {
    const setup = await makeRun({ schedule: SCHEDULE });
    const dead = 'rdead1';
    // A pid no live process has: the kernel's limit is far lower.
    await writeFile(
      join(setup.planspace, 'engine.json'),
      `${JSON.stringify({ pid: 2 ** 30, runId: dead, since: 'x' })}\n`,
    );
    const time = new Date().toISOString();
    const lines = [
      { time, event: 'started', runId: dead, pid: 2 ** 30, message: `engine started (run ${dead})` },
      {
        time,
        event: 'dispatched',
        step: 1,
        runId: `${dead}-1-1`,
        model: 'glm',
        message: 'step 1 (prepare): dispatched',
      },
    ];
    await appendFile(join(setup.planspace, 'events.jsonl'), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));

    const result = await setup.run();
    expect(result).toMatchObject({ code: 0, signal: null });
    const done = (await setup.events()).filter((event) => event.event === 'done');
    expect(done.map((event) => [event.step, event.recovered])).toEqual([
      [1, true],
      [3, undefined],
    ]);
    expect(done[0]?.message).toMatch(/^step 1 \(prepare\): done \(recovered: engine run rdead1 died/);

    // Taken over again (another dead hold of the same run): the line is not written twice.
    await writeFile(
      join(setup.planspace, 'engine.json'),
      `${JSON.stringify({ pid: 2 ** 30, runId: dead, since: 'x' })}\n`,
    );
    expect(await setup.run()).toMatchObject({ code: 0 });
    expect((await setup.events()).filter((event) => event.event === 'done' && event.step === 1)).toHaveLength(1);
  });
});
