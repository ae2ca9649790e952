/**
 * `workflow run` refuses a planspace it cannot run, before any agent starts: every problem is
 * listed at once, exit 2, and nothing is dispatched or written.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

describe('workflow run: preflight of agent commands', () => {
  const GOOD = [
    '# Schedule: commands',
    '',
    '[wait] 1. scan | glm -- relevance scan',
    '[wait] 2. plan | claude-opus -- plan it',
    '[wait] 3. more | glm -- scan again',
    '',
  ].join('\n');

  it('refuses a model whose command is not on PATH, a path that is not there and one not executable', async () => {
    const setup = await makeRun({ schedule: GOOD });
    const notExecutable = join(setup.root, 'agent.sh');
    await writeFile(notExecutable, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    await setup.setModel('glm', { command: 'planspace-no-such-agent' });
    await setup.setModel('claude-opus', { command: notExecutable });
    await setup.setModel('handler', { command: './missing-handler.js' });
    const lines = await refusedRun(setup);

    const schedule = join(setup.planspace, 'schedule.md');
    const model = (name: string): string => join(setup.models, `${name}.toml`);
    // Once per model, at its first step, naming the model file and the command.
    expect(lines).toEqual([
      `${schedule}:3: step 1: ${model('glm')}: command 'planspace-no-such-agent' not found on PATH`,
      `${schedule}:4: step 2: ${model('claude-opus')}: command '${notExecutable}' is not executable`,
      `exception handler (${join(setup.agents, 'exception-handler.md')}): ${model('handler')}: ` +
        `command '${join(setup.models, 'missing-handler.js')}' does not exist`,
    ]);
  });

  it('finds a command on the PATH agents get, and checks it with check --models as run does', async () => {
    const setup = await makeRun({ schedule: GOOD });
    await setup.setModel('glm', { command: 'sh', args: ['-c', 'exit 0'] });
    await setup.setModel('claude-opus', { command: 'planspace-no-such-agent' });
    const args = setup.runArgs.filter((arg) => arg !== setup.planspace);
    const result = await setup.workflow(['check', setup.planspace, ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      `${join(setup.planspace, 'schedule.md')}:4: step 2: ${join(setup.models, 'claude-opus.toml')}: ` +
        "command 'planspace-no-such-agent' not found on PATH",
    ]);
  });
});
