/**
 * `workflow run` refuses a planspace it cannot run, before any agent starts: every problem is
 * listed at once, exit 2, and nothing is dispatched or written.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile } from '../helpers.js';
import { makeRun, type RunSetup } from './setup.js';

const SCHEDULE = [
  '# Schedule: broken',
  '',
  '[wait] 1. decompose | claude-opus -- split the proposal (implement.md Stage 99)',
  '[wait] 2. scan | no-such-model -- relevance scan (implement.md Stage 3)',
  '[wait] 3. promote | glm -- review constraints',
  '',
].join('\n');

/** Runs the engine and checks it was refused with exit 2 before anything started; returns stderr lines. */
async function refusedRun(setup: RunSetup): Promise<string[]> {
  const schedule = await hashFile(join(setup.planspace, 'schedule.md'));
  const result = await setup.run();
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(await setup.recordFiles()).toEqual([]);
  expect(await hashFile(join(setup.planspace, 'schedule.md'))).toBe(schedule);
  // Nothing was dispatched: no prompt, no output, no log, no hold left behind.
  expect(await readdir(setup.planspace)).toEqual(['schedule.md']);
  return result.stderr.trimEnd().split('\n');
}

describe('workflow run: preflight', () => {
  it('lists an unresolvable ref, an unknown model and a missing exception handler at once', async () => {
    const setup = await makeRun({ schedule: SCHEDULE });
    // `--agents` names a folder that is not there, so neither is its exception-handler.md.
    await rm(setup.agents, { recursive: true });
    const lines = await refusedRun(setup);

    const schedule = join(setup.planspace, 'schedule.md');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      `${schedule}:3: step 1: ref 'implement.md Stage 99': implement.md has no heading 'Stage 99'; its headings: `,
    );
    expect(lines[0]).toContain('; ## Stage 1: Split the proposal into sections; ');
    expect(lines[1]).toMatch(
      `${schedule}:4: step 2: unknown model 'no-such-model': no no-such-model.toml in ${setup.models}, `,
    );
    expect(lines[2]).toMatch(/^exception handler: /);
    expect(lines[2]).toContain(setup.agents);
    expect(lines[2]).toContain('exception-handler.md');
  });

  it('reports an exception-handler agent file whose model is unknown, with the other problems', async () => {
    const setup = await makeRun({ schedule: SCHEDULE, handler: '---\nmodel: no-such-handler\n---\nFix things.\n' });
    const lines = await refusedRun(setup);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain("ref 'implement.md Stage 99'");
    expect(lines[1]).toContain("unknown model 'no-such-model'");
    expect(lines[2]).toMatch(
      `exception handler (${join(setup.agents, 'exception-handler.md')}): unknown model 'no-such-handler': `,
    );
    expect(await readFile(join(setup.agents, 'exception-handler.md'), 'utf8')).toContain('no-such-handler');
  });
});

describe('workflow run: preflight of the codespace', () => {
  it('refuses a codespace folder that does not exist, before any agent starts', async () => {
    const setup = await makeRun({ schedule: SCHEDULE });
    await rm(setup.codespace, { recursive: true });
    const lines = await refusedRun(setup);
    expect(lines[0]).toBe(`codespace: no folder at ${setup.codespace}`);
  });
});

describe('workflow check with the sources of run', () => {
  it('lists the same problems as run, without starting anything', async () => {
    const setup = await makeRun({ schedule: SCHEDULE });
    const args = setup.runArgs.filter((arg) => arg !== setup.planspace);
    const result = await setup.workflow(['check', setup.planspace, ...args]);
    expect(result.code).toBe(2);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("ref 'implement.md Stage 99'");
    expect(lines[1]).toContain("unknown model 'no-such-model'");
    expect(await setup.recordFiles()).toEqual([]);
    // Without sources, check looks at the schedule alone.
    expect(await setup.workflow(['check', setup.planspace])).toMatchObject({ code: 0 });
  });
});
