/**
 * What `workflow check` and `workflow run` refuse about `candidates:` steps before anything
 * runs (issue 20): `blocks:` with `candidates:`, `judge:` without `candidates:`, an unknown
 * judge model or candidate model, and a codespace that is no git repository (candidates run in
 * worktrees); and what `workflow run --dry-run` shows for them. Real CLI processes.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile } from '../helpers.js';
import { AGENT_RECORD, makeRun, type RunSetup } from './setup.js';

/** A schedule file: a heading, then `lines`. */
function schedule(...lines: string[]): string {
  return ['# Schedule: best of N', '', ...lines, ''].join('\n');
}

/** `workflow check` with the sources `run` gets. */
function check(setup: RunSetup) {
  return setup.workflow(['check', ...setup.runArgs]);
}

/**
 * Expects `result` refused with exit 2 and the planspace as it was (the schedule only); returns
 * the problems it printed (`check` lists them on stdout, `run` on stderr).
 */
async function expectRefused(
  setup: RunSetup,
  result: { code: number; stdout: string; stderr: string },
  before: string,
): Promise<string> {
  expect(result.code).toBe(2);
  expect(await hashFile(join(setup.planspace, 'schedule.md'))).toBe(before);
  expect(await readdir(setup.planspace)).toEqual(['schedule.md']);
  expect(await setup.recordFiles()).toEqual([]);
  return result.stdout + result.stderr;
}

describe('workflow check and run: candidates steps', () => {
  it('refuse blocks: with candidates: and judge: without candidates:, naming file, line and column', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. implement | claude-opus -- implement',
        '  - blocks: a, b',
        '  - candidates: 3',
        '[wait] 2. review | glm -- review',
        '  - judge: smallest',
      ),
    });
    const before = await hashFile(join(setup.planspace, 'schedule.md'));
    const file = join(setup.planspace, 'schedule.md');
    for (const result of [await setup.workflow(['check', setup.planspace]), await check(setup), await setup.run()]) {
      const said = await expectRefused(setup, result, before);
      expect(said).toContain(
        `${file}:3:1: expected either 'blocks:' or 'candidates:' on a step, not both, found step 1 with blocks: a, b and candidates: 3`,
      );
      expect(said).toContain(
        `${file}:7:12: expected 'judge:' only on a step with 'candidates:', found judge: smallest on step 2, which has no candidates`,
      );
    }
  });

  it('refuse a judge model or candidate model the registry lacks, before anything runs', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. implement | claude-opus,no-such-coder -- implement',
        '  - candidates: 3',
        '  - judge: no-such-judge',
        '[wait] 2. review | glm -- review',
        '  - candidates: 2',
        '  - judge: smallest',
      ),
    });
    const before = await hashFile(join(setup.planspace, 'schedule.md'));
    const file = join(setup.planspace, 'schedule.md');
    for (const result of [await check(setup), await setup.run()]) {
      const lines = (await expectRefused(setup, result, before)).trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(
        `${file}:3: step 1: candidate model: unknown model 'no-such-coder': no no-such-coder.toml in `,
      );
      expect(lines[1]).toMatch(`${file}:3: step 1: judge: unknown model 'no-such-judge': no no-such-judge.toml in `);
    }
    // The same schedule with both models known passes the check: `smallest` and `first` are no models.
    await setup.setModel('no-such-coder', { command: AGENT_RECORD });
    await setup.setModel('no-such-judge', { command: AGENT_RECORD });
    expect(await check(setup)).toMatchObject({ code: 0, stdout: `OK: ${file}: 2 steps\n` });
  });

  it('run refuses a candidates step in a codespace that is no git repository: candidates run in worktrees', async () => {
    const setup = await makeRun({
      schedule: schedule('[wait] 1. implement | claude-opus -- implement', '  - candidates: 2', '  - isolation: none'),
    });
    const before = await hashFile(join(setup.planspace, 'schedule.md'));
    const said = await expectRefused(setup, await setup.run(), before);
    expect(said).toContain(`candidates: needs ${setup.codespace} to be a git repository`);
  });
});

describe('workflow run --dry-run: candidates steps', () => {
  it('shows the candidates, the judge, and each candidate with its model, the models cycling', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. implement | claude-opus,glm,gpt-5.3-codex-high -- implement',
        '  - candidates: 4',
        '[wait] 2. review | glm -- review',
      ),
    });
    const result = await setup.run(['--dry-run']);
    expect(result.code).toBe(0);
    const folder = join(setup.planspace, 'artifacts', 'dry-run');
    const line = (label: string, stem: string) => `${label}: ${AGENT_RECORD} < ${join(folder, `${stem}-prompt.md`)}`;
    expect(result.stdout).toBe(
      [
        'step 1: candidates: 4 (judge: first)',
        line('step 1 (implement) candidate 1 (claude-opus)', 'step-1-candidate-1'),
        line('step 1 (implement) candidate 2 (glm)', 'step-1-candidate-2'),
        line('step 1 (implement) candidate 3 (gpt-5.3-codex-high)', 'step-1-candidate-3'),
        line('step 1 (implement) candidate 4 (claude-opus)', 'step-1-candidate-4'),
        line('step 2 (review)', 'step-2'),
        '',
      ].join('\n'),
    );
    expect((await readdir(folder)).sort()).toEqual([
      'step-1-candidate-1-prompt.md',
      'step-1-candidate-2-prompt.md',
      'step-1-candidate-3-prompt.md',
      'step-1-candidate-4-prompt.md',
      'step-2-prompt.md',
    ]);
    const json = JSON.parse((await setup.run(['--dry-run', '--json'])).stdout) as {
      dispatches: { model: string; candidate?: unknown }[];
    };
    expect(json.dispatches.map((dispatch) => [dispatch.model, dispatch.candidate])).toEqual([
      ['claude-opus', { k: 1, of: 4, judge: 'first' }],
      ['glm', { k: 2, of: 4, judge: 'first' }],
      ['gpt-5.3-codex-high', { k: 3, of: 4, judge: 'first' }],
      ['claude-opus', { k: 4, of: 4, judge: 'first' }],
      ['glm', undefined],
    ]);
  });
});
