/**
 * `artifacts/` replaced mid-run by a link to a folder outside the planspace (issue 17, item 5):
 * the engine wrote the next step's prompt and output through it. Every write into `artifacts/`
 * now first checks that the folder is still the one the run started with (same device and
 * inode, not a link); a swap stops the run (exit 2, every agent stopped, the hold released)
 * and nothing is written outside.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { modelToml } from '../engine/setup.js';
import { makeSandbox } from './sandbox.js';

const SWAPPER = join(ROOT, 'test', 'fixtures', 'bin', 'agent-swap-artifacts.js');

const SCHEDULE =
  '# Schedule: swap\n\n' +
  '[wait] 1. swap | swapper -- replace artifacts/ (guide.md Stage 1)\n' +
  '[wait] 2. next | m -- the step after (guide.md Stage 2)\n';

describe('artifacts/ replaced by a link to an outside folder while an agent runs', () => {
  it('the next dispatch writes nothing there: the run stops with exit 2 naming artifacts/', async () => {
    const box = await makeSandbox(SCHEDULE);
    const outside = join(box.root, 'outside');
    await mkdir(outside, { mode: 0o700 });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(box.root, 'models', 'swapper.toml'), modelToml({ command: SWAPPER, args: [outside] }));
    const result = await box.workflow(['run', box.planspace, ...box.sources]);
    expect(await readdir(outside)).toEqual([]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`artifacts folder ${join(box.planspace, 'artifacts')} was replaced`);
    const schedule = await readFile(join(box.planspace, 'schedule.md'), 'utf8');
    expect(schedule).toContain('[done] 1. swap');
    expect(schedule).toContain('[wait] 2. next');
    // The hold is released: the planspace is free for the next run.
    expect(await readdir(box.planspace)).not.toContain('engine.json');
  }, 30_000);
});
