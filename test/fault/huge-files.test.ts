/**
 * Files too big to read (issue 17, item 5): a 600 MB schedule ended `workflow status` with
 * exit 70 and a stack trace. Every file planspace reads whole is refused above MAX_READ_BYTES
 * (64 MiB, README.md "Limits") before it is read: exit 2, one line naming the file, its size
 * and the limit, and the planspace left as it was. The files are sparse: 600 MB of holes cost
 * no disk.
 */
import { readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSandbox } from './sandbox.js';

const SCHEDULE = '# Schedule: huge\n\n[wait] 1. plan | m -- write the plan (guide.md Stage 1)\n';
const HUGE = 600 * 1024 * 1024;

/**
 * Every entry of the planspace with its size and modification time (ns): enough to see that
 * nothing was written, without hashing 600 MB at each look.
 */
async function snapshot(planspace: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const name of await readdir(planspace)) {
    const stats = await stat(join(planspace, name), { bigint: true });
    found[name] = `${stats.size}:${stats.mtimeNs}`;
  }
  return found;
}

/** The one-line refusal of a 600 MiB file at `path`. */
function refusal(path: string): string {
  return `${path} is 600 MiB (${HUGE} bytes), over the 64 MiB planspace reads; is it the right file?`;
}

describe('a 600 MB schedule', () => {
  it('next, status, check and run refuse it with exit 2 naming its size and the limit', async () => {
    const box = await makeSandbox(SCHEDULE);
    const schedule = join(box.planspace, 'schedule.md');
    await truncate(schedule, HUGE);
    const before = await snapshot(box.planspace);
    for (const args of [
      ['next', box.planspace],
      ['status', box.planspace],
      ['check', box.planspace, ...box.sources],
      ['run', box.planspace, ...box.sources],
    ]) {
      const result = await box.workflow(args);
      expect({ verb: args[0], code: result.code, out: result.stdout + result.stderr }).toEqual({
        verb: args[0],
        code: 2,
        out: `${refusal(schedule)}\n`,
      });
      expect(await snapshot(box.planspace)).toEqual(before);
    }
  });
});

describe('a 600 MB model TOML', () => {
  it('check and run refuse it with exit 2 naming it', async () => {
    const box = await makeSandbox(SCHEDULE);
    const toml = join(box.root, 'models', 'm.toml');
    await truncate(toml, HUGE);
    const before = await snapshot(box.planspace);
    for (const verb of ['check', 'run']) {
      const result = await box.workflow([verb, box.planspace, ...box.sources]);
      expect({ verb, code: result.code }).toEqual({ verb, code: 2 });
      expect(result.stdout + result.stderr).toContain(refusal(toml));
      expect(await snapshot(box.planspace)).toEqual(before);
    }
  });
});

describe('a 600 MB state.md', () => {
  it('run stops with exit 2 naming it before any agent starts; the step is back to [wait]', async () => {
    const box = await makeSandbox(SCHEDULE);
    const state = join(box.planspace, 'state.md');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(state, '# State\n', { mode: 0o600 });
    await truncate(state, HUGE);
    const result = await box.workflow(['run', box.planspace, ...box.sources]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(refusal(state));
    expect(await readFile(join(box.planspace, 'schedule.md'), 'utf8')).toBe(SCHEDULE);
    expect((await stat(state)).size).toBe(HUGE);
    expect(await readFile(join(box.planspace, 'log.md'), 'utf8')).not.toContain('dispatched');
  });
});
