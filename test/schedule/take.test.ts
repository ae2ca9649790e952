/**
 * `takeSteps` and the steps its caller still runs (issue 10, point 2): a step reset to `[wait]`
 * while the caller's task for it lives is neither started again nor resumed, so one step never
 * has two live attempts; it is taken once the caller lets go of it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { takeSteps } from '../../src/schedule/operations.js';
import { makePlanspace } from '../helpers.js';

const SCHEDULE = [
  '# Schedule: take',
  '',
  '[wait] 1. first | m -- reset by workflow retry while its handler runs',
  '  - needs: none',
  '[wait] 2. second | m -- an independent root',
  '  - needs: none',
  '[run] 3. third | m -- the caller runs it',
  '  - needs: none',
  '',
].join('\n');

describe('takeSteps with running steps', () => {
  it('starts no [wait] step the caller still runs and resumes no [run] one; both are taken once let go', async () => {
    const planspace = await makePlanspace(SCHEDULE);
    const held = await takeSteps(planspace, { running: new Set([1, 3]) });
    expect(held.started.map((step) => step.number)).toEqual([2]);
    expect(held.resumed).toEqual([]);
    expect(held.held).toBe(0);
    const text = await readFile(join(planspace, 'schedule.md'), 'utf8');
    expect(text).toContain('[wait] 1. first');
    expect(text).toContain('[run] 2. second');

    const free = await takeSteps(planspace, { running: new Set([2]) });
    expect(free.started.map((step) => step.number)).toEqual([1]);
    expect(free.resumed.map((step) => step.number)).toEqual([3]);
  });
});
