/**
 * The disk fills up while `workflow run` runs (the step's own agent fills it): the engine
 * cannot write the schedule that marks the step `[done]`. The log must not say done while
 * the schedule says `[run]` (it once appended `done` first), and the run stops with exit 2
 * and a one-line reason naming ENOSPC, leaving no half-written or temporary file and no agent.
 * Once space is freed, the next run resumes the step and completes: nothing was lost.
 */
import { mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProcessesByEnvironment } from '../../src/dispatch/orphans.js';
import { logEvent } from '../../src/planspace/log.js';
import { absolutePlanspacePaths } from '../../src/planspace/paths.js';
import { readSchedule } from '../../src/schedule/operations.js';
import { AGENTS_BIN, makeRun } from '../engine/setup.js';
import { mountProblem, mountTmpfs } from './mount.js';

const cannotMount = await mountProblem();

/** `events.jsonl` of `planspace`, parsed; every line must be whole. */
async function events(planspace: string): Promise<{ event: string; step?: number; reason?: string }[]> {
  const text = await readFile(join(planspace, 'events.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as { event: string });
}

describe(cannotMount === undefined ? 'a full disk mid-run' : `a full disk mid-run (skipped: ${cannotMount})`, () => {
  it.skipIf(cannotMount !== undefined)(
    'stops with exit 2 naming ENOSPC; the log never says done while the schedule says [run]',
    async () => {
      const mount = await mountTmpfs(1024);
      const planspace = join(mount, 'plan');
      const filler = join(mount, 'filler');
      await mkdir(planspace);
      await writeFile(
        join(planspace, 'schedule.md'),
        '# Schedule: full disk\n\n[wait] 1. fill | fill -- fill the disk\n',
      );
      const setup = await makeRun({
        schedule: '',
        models: { fill: { command: join(AGENTS_BIN, 'agent-fill-disk.js'), env: { FILL_PATH: filler } } },
      });
      const args = ['run', planspace, ...setup.runArgs.slice(1)];

      const result = await setup.workflow(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^run stopped: ENOSPC[^\n]*\n$/);
      expect(findProcessesByEnvironment([`WORKFLOW_PLANSPACE=${planspace}`])).toEqual([]);
      const status = (await readSchedule(planspace)).steps[0]?.status;
      expect(status).toBe('run');
      const logged = await events(planspace);
      expect(logged.filter((e) => e.event === 'done')).toEqual([]);
      expect(logged.at(-1)).toMatchObject({ event: 'stopped' });
      expect(logged.at(-1)?.reason).toContain('ENOSPC');
      expect((await readdir(planspace)).filter((name) => name.endsWith('.tmp') || name === 'engine.json')).toEqual([]);

      // Space again; the filler stays (empty), so the agent does not fill the disk a second time.
      await truncate(filler);
      const again = await setup.workflow(args);
      expect(again).toMatchObject({ code: 0, stderr: '' });
      expect((await readSchedule(planspace)).steps.map((step) => step.status)).toEqual(['done']);
      expect((await events(planspace)).filter((e) => e.event === 'done').map((e) => e.step)).toEqual([1]);
    },
    90_000,
  );

  it.skipIf(cannotMount !== undefined)(
    'a log line that does not fit is not half-written: log.md and events.jsonl stay as they were',
    async () => {
      const mount = await mountTmpfs(64);
      const paths = absolutePlanspacePaths(join(mount, 'plan'));
      await mkdir(paths.root);
      // Both files end 50 bytes short of a page: a longer line needs a page the disk lacks.
      const before = { log: `${'l'.repeat(4095 - 50)}\n`, events: `${'e'.repeat(4095 - 50)}\n` };
      await writeFile(paths.log, before.log);
      await writeFile(paths.events, before.events);
      await writeFile(join(mount, 'filler'), Buffer.alloc(1024 * 1024)).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      });
      await expect(logEvent(paths, { event: 'note' }, `a line of ${'x'.repeat(200)}`)).rejects.toMatchObject({
        code: 'ENOSPC',
      });
      expect(await readFile(paths.events, 'utf8')).toBe(before.events);
      expect(await readFile(paths.log, 'utf8')).toBe(before.log);
    },
  );
});
