/**
 * The young generation of a `workflow run` process stays at its first size whatever the
 * schedule's length: Node starts each agent with `fork`, whose cost grows with the pages the
 * engine has touched, and a 10,000-step schedule read at the start made V8 grow it eightfold
 * for the whole run (see src/cli/run-heap.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTree, ROOT } from '../helpers.js';
import { makeRun } from '../engine/setup.js';

/** Writes the engine's heap space sizes to $HEAP_REPORT when it exits. */
const HEAP_REPORT = pathToFileURL(join(ROOT, 'test', 'fixtures', 'bin', 'heap-report.js')).href;
const MIB = 1024 * 1024;

/** A schedule of `size` steps whose last two wait, the others done. */
function longSchedule(size: number): string {
  const lines = ['# Schedule: long', ''];
  for (let n = 1; n <= size; n += 1) lines.push(`[${n > size - 2 ? 'wait' : 'done'}] ${n}. s-${n} | glm -- step ${n}`);
  return `${lines.join('\n')}\n`;
}

describe('workflow run: its heap', () => {
  it('keeps a young generation of a few MiB after reading a 10,000-step schedule', async () => {
    const report = join(await makeTree({}), 'heap.json');
    const env = { NODE_OPTIONS: `--import ${HEAP_REPORT}`, HEAP_REPORT: report };
    const setup = await makeRun({ schedule: longSchedule(10_000), env });
    expect(await setup.run()).toMatchObject({ code: 0, stderr: '' });
    expect((await setup.statuses()).get(10_000)).toBe('done');
    const spaces = JSON.parse(await readFile(report, 'utf8')) as Record<string, number>;
    // V8's first size is 1 MiB per semi-space, 2 MiB in all; grown by the schedule's parse, 16 MiB.
    expect(spaces.new_space).toBeGreaterThan(0);
    expect(spaces.new_space).toBeLessThanOrEqual(4 * MIB);
  }, 120_000);
});
