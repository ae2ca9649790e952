/**
 * A schedule without steps: `run` said COMPLETE and `check` said OK, hiding steps the grammar
 * did not see (written as list items, most often). Both refuse it now, naming the shape of a step.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile, makePlanspace, runWorkflow } from '../helpers.js';

const SHAPE = '(a step line looks like: [wait] 1. name | model -- description)';

describe('a schedule with no steps', () => {
  it.each([
    { verb: 'run', extra: [] },
    { verb: 'run', extra: ['--dry-run'] },
    { verb: 'check', extra: [] },
  ])('workflow $verb $extra refuses it, exit 2', async ({ verb, extra }) => {
    const plan = await makePlanspace('# Schedule: empty\n\nsome prose\n');
    const result = await runWorkflow([verb, plan, '--codespace', plan, ...extra]);
    expect(result.code).toBe(2);
    const said = verb === 'check' ? result.stdout : result.stderr;
    expect(said).toBe(`${join(plan, 'schedule.md')} has no steps ${SHAPE}\n`);
    expect(result.stdout + result.stderr).not.toContain('COMPLETE');
    expect(await readdir(plan)).toEqual(['schedule.md']);
  });

  it('workflow status names a step written as a list item, and changes nothing', async () => {
    const plan = await makePlanspace('# Schedule: x\n\n- [wait] 1. scan | glm -- relevance scan\n');
    const before = await hashFile(join(plan, 'schedule.md'));
    for (const verb of ['status', 'next', 'run', 'check']) {
      const result = await runWorkflow([verb, plan, '--codespace', plan].slice(0, verb === 'run' ? 4 : 2));
      expect(result.code, verb).toBe(2);
      expect(result.stdout + result.stderr, verb).toContain(
        "schedule.md:3:1: expected a step line starting in column 0 with its status marker (remove '- ')",
      );
    }
    expect(await hashFile(join(plan, 'schedule.md'))).toBe(before);
  });

  it('workflow check counts one step in the singular', async () => {
    const plan = await makePlanspace('[wait] 1. a | m -- d\n');
    expect(await runWorkflow(['check', plan])).toMatchObject({
      code: 0,
      stdout: `OK: ${join(plan, 'schedule.md')}: 1 step\n`,
    });
  });
});
