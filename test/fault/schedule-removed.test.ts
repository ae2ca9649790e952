/**
 * `schedule.md` removed while `workflow run` runs. The engine finds out at its next schedule
 * access (here: when the quicker of two agents ends). It then stops the run: it kills the
 * agents still running (their results could no longer be recorded), logs why, writes no new
 * schedule, releases the planspace, and exits 2 with a one-line reason. The log never says a
 * step is done that no schedule holds as done. A schedule made invalid mid-run (a bad step line
 * added) stops the run the same way, and is left as the user wrote it.
 */
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProcessesByEnvironment } from '../../src/dispatch/orphans.js';
import { AGENTS_BIN, makeRun, waitFor, type RunSetup } from '../engine/setup.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';

const AGENT_TIMED = join(AGENTS_BIN, 'agent-timed.js');

const SCHEDULE =
  '# Schedule: removed\n\n[wait] 1. quick | quick -- ends soon\n[wait] 2. slow | slow -- works on\n  - needs: none\n';

/**
 * Starts a run of two steps at once, quick (it ends once `go()` is called) and slow (2 min),
 * and waits for both to be dispatched.
 */
async function startTwo(): Promise<{
  setup: RunSetup;
  engine: ReturnType<RunSetup['start']>;
  go: () => Promise<void>;
}> {
  const setup = await makeRun({ schedule: SCHEDULE });
  const goFile = join(setup.root, 'go');
  await setup.setModel('quick', { command: join(AGENTS_BIN, 'agent-wait-file.js'), env: { GO_FILE: goFile } });
  await setup.setModel('slow', { command: AGENT_TIMED, env: { RECORD_DIR: setup.records, SLEEP_MS: '120000' } });
  const engine = setup.start();
  await waitFor('both steps to be dispatched', async () => {
    const events = await setup.eventsSoFar();
    return events.filter((e) => e.event === 'dispatched').length === 2;
  });
  const slowPid = (await setup.events()).find((e) => e.event === 'dispatched' && e.step === 2)?.pid;
  setup.track(Number(slowPid));
  return { setup, engine, go: () => writeFile(goFile, '') };
}

describe('workflow run: schedule.md removed mid-run', () => {
  it('stops the run: exit 2, one line naming the schedule, the other agent killed, the log says why', async () => {
    const { setup, engine, go } = await startTwo();
    await rm(join(setup.planspace, 'schedule.md'));
    await go();

    const result = await engine.ended;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^[^\n]*schedule\.md[^\n]*\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // Nothing of the run is left running, and the planspace is free for the next run.
    expect(findProcessesByEnvironment([`WORKFLOW_PLANSPACE=${setup.planspace}`])).toEqual([]);
    await expect(access(join(setup.planspace, 'engine.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    // No schedule was written back, and the log says the run stopped and why.
    await expect(access(join(setup.planspace, 'schedule.md'))).rejects.toMatchObject({ code: 'ENOENT' });
    const events = await setup.events();
    expect(events.filter((e) => e.event === 'done')).toEqual([]);
    const stopped = events.at(-1);
    expect(stopped).toMatchObject({ event: 'stopped' });
    expect(String(stopped?.reason)).toContain('schedule.md');
  }, 60_000);

  it('broken mid-run (a bad step line added) stops the run the same way, naming the line', async () => {
    const { setup, engine, go } = await startTwo();
    const schedule = join(setup.planspace, 'schedule.md');
    const broken = `${await readFile(schedule, 'utf8')}[wait] three. oops | quick -- not a step number\n`;
    await writeFileAtomic(schedule, broken);
    await go();

    const result = await engine.ended;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^run stopped: [^\n]*schedule\.md:6:[^\n]*\n$/);
    expect(findProcessesByEnvironment([`WORKFLOW_PLANSPACE=${setup.planspace}`])).toEqual([]);
    await expect(access(join(setup.planspace, 'engine.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    // The schedule is left as the user wrote it, and the log does not say done.
    expect(await readFile(schedule, 'utf8')).toBe(broken);
    const events = await setup.events();
    expect(events.filter((e) => e.event === 'done')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ event: 'stopped' });
  }, 60_000);
});
