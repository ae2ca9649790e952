/**
 * `workflow next --all` through the real executable: every ready step is taken at once, and
 * plain `next` still takes one step at a time.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile, makePlanspace, runWorkflow } from '../helpers.js';

const ROOTS = [
  '# Schedule: two roots',
  '',
  '[wait] 1. scan-api | glm -- scan the API',
  '  - needs: none',
  '[wait] 2. scan-ui | glm -- scan the UI',
  '  - needs: none',
  '[wait] 3. merge | claude-opus -- merge both scans',
  '  - needs: 1, 2',
  '',
].join('\n');

/** The schedule line of step `n` (lines 3, 5, 7) with its marker set to `status`. */
function stepLine(n: 1 | 2 | 3, status: string): string {
  const line = ROOTS.split('\n')[2 * n] ?? '';
  return line.replace('[wait]', `[${status}]`);
}

function scheduleOf(planspace: string): Promise<string> {
  return readFile(join(planspace, 'schedule.md'), 'utf8');
}

describe('workflow next --all', () => {
  it('takes both needs: none roots at once, prints each as <line>:<step line>, and marks both [run]', async () => {
    const plan = await makePlanspace(ROOTS);
    const taken = await runWorkflow(['next', plan, '--all']);
    expect(taken).toMatchObject({ code: 0, stderr: '' });
    expect(taken.stdout).toBe(`3:${stepLine(1, 'run')}\n5:${stepLine(2, 'run')}\n`);
    // Only the two markers changed.
    expect(await scheduleOf(plan)).toBe(ROOTS.replace('[wait] 1.', '[run] 1.').replace('[wait] 2.', '[run] 2.'));

    // Again: both are printed as they are (session recovery), and nothing is written.
    const hash = await hashFile(join(plan, 'schedule.md'));
    expect(await runWorkflow(['next', plan, '--all'])).toMatchObject({ code: 0, stdout: taken.stdout });
    expect(await hashFile(join(plan, 'schedule.md'))).toBe(hash);

    // The join waits for both roots.
    expect(await runWorkflow(['done', plan, '1'])).toMatchObject({ code: 0 });
    expect(await runWorkflow(['next', plan, '--all'])).toMatchObject({ code: 0, stdout: `5:${stepLine(2, 'run')}\n` });
    expect(await runWorkflow(['done', plan, '2'])).toMatchObject({ code: 0 });
    expect(await runWorkflow(['next', plan, '--all'])).toMatchObject({ code: 0, stdout: `7:${stepLine(3, 'run')}\n` });
    expect(await runWorkflow(['done', plan, '3'])).toMatchObject({ code: 0 });
    expect(await runWorkflow(['next', plan, '--all'])).toMatchObject({ code: 0, stdout: 'COMPLETE\n' });
  });

  it('--json lists the started steps', async () => {
    const plan = await makePlanspace(ROOTS);
    const taken = await runWorkflow(['next', plan, '--all', '--json']);
    expect(taken.code).toBe(0);
    const json = JSON.parse(taken.stdout) as {
      result: string;
      started: { number: number; line: number; status: string }[];
      resumed: unknown[];
    };
    expect(json.result).toBe('started');
    expect(json.started.map((step) => [step.number, step.line, step.status])).toEqual([
      [1, 3, 'run'],
      [2, 5, 'run'],
    ]);
    expect(json.resumed).toEqual([]);
  });

  it('prints BLOCKED and exits 3 when a failed root holds back the join', async () => {
    const plan = await makePlanspace(ROOTS.replace('[wait] 1.', '[fail] 1.').replace('[wait] 2.', '[done] 2.'));
    const hash = await hashFile(join(plan, 'schedule.md'));
    expect(await runWorkflow(['next', plan, '--all'])).toMatchObject({
      code: 3,
      stdout: `BLOCKED 3:${stepLine(1, 'fail')}\n`,
    });
    expect(await hashFile(join(plan, 'schedule.md'))).toBe(hash);
  });
});

describe('workflow next without --all', () => {
  it('takes only the first of two ready roots, and keeps returning it while it runs', async () => {
    const plan = await makePlanspace(ROOTS);
    expect(await runWorkflow(['next', plan])).toMatchObject({ code: 0, stdout: `3:${stepLine(1, 'run')}\n` });
    expect(await scheduleOf(plan)).toBe(ROOTS.replace('[wait] 1.', '[run] 1.'));
    expect(await runWorkflow(['next', plan])).toMatchObject({ code: 0, stdout: `3:${stepLine(1, 'run')}\n` });
    expect(await scheduleOf(plan)).toBe(ROOTS.replace('[wait] 1.', '[run] 1.'));
  });
});
