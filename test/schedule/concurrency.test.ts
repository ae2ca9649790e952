/**
 * Real processes racing on one schedule: the lock and the re-read under it lose no update,
 * and no byte outside the markers changes.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makePlanspace, ROOT, runWorkflow } from '../helpers.js';

const run = promisify(execFile);

/** A schedule of `count` [run] steps with prose, CRLF lines and trailing spaces between them. */
function busySchedule(count: number): string {
  const lines = ['# Schedule: race  ', '', 'Prose with [brackets] and (parens).'];
  for (let n = 1; n <= count; n += 1) {
    lines.push(
      `[run] ${n}. step-${n} | glm,claude-opus -- work item ${n} (implement.md Stage ${n % 7})${n % 3 ? '' : ' '}`,
    );
    if (n % 10 === 0) lines.push(`## Part ${n / 10}\r`, '');
  }
  return `${lines.join('\n')}\n`;
}

describe('concurrent mutations', () => {
  it('20 processes marking 100 different [run] steps done at once lose no update', async () => {
    const text = busySchedule(100);
    const plan = await makePlanspace(text);
    const worker = join(ROOT, 'test', 'fixtures', 'bin', 'mark-steps.js');
    await Promise.all(
      Array.from({ length: 20 }, (_, w) => {
        const numbers = Array.from({ length: 5 }, (_, i) => String(w * 5 + i + 1));
        return run(process.execPath, [worker, plan, ...numbers]);
      }),
    );
    const after = await readFile(join(plan, 'schedule.md'), 'utf8');
    expect(after).toBe(text.replaceAll(/^\[run\]/gm, '[done]'));
    expect((await runWorkflow(['status', plan])).stdout).toBe(
      'Total: 100 | Done: 100 | Running: 0 | Failed: 0 | Waiting: 0 | Skipped: 0\n',
    );
  });

  it('20 concurrent `workflow done N` processes lose no update', async () => {
    const text = busySchedule(20);
    const plan = await makePlanspace(text);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runWorkflow(['done', plan, String(i + 1)])));
    expect(results.map((result) => result.code)).toEqual(Array.from({ length: 20 }, () => 0));
    expect(await readFile(join(plan, 'schedule.md'), 'utf8')).toBe(text.replaceAll(/^\[run\]/gm, '[done]'));
  });
});
