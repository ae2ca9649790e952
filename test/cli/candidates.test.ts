/**
 * `workflow candidates <planspace> <N>` and the candidates line of `workflow report`, read from
 * record files written by hand into `artifacts/` (the record is the contract with the engine,
 * see src/candidates/record.ts). Real CLI processes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CandidateEntry, CandidatesRecord } from '../../src/candidates/record.js';
import { makeTree, runWorkflow } from '../helpers.js';

const SCHEDULE = [
  '# Schedule: best of 3',
  '',
  '[done] 1. plan | opus -- plan it',
  '[done] 2. implement | opus,codex,glm -- implement the parser',
  '  - candidates: 3',
  '  - judge: smallest',
  '[wait] 3. review | codex -- review it',
  '[wait] 4. polish | opus,codex -- polish',
  '  - candidates: 2',
  '',
].join('\n');

function entry(k: number, model: string, fields: Partial<CandidateEntry>): CandidateEntry {
  return {
    k,
    model,
    status: 'eligible',
    verify: 'passed',
    filesChanged: 2,
    added: 10,
    removed: 2,
    durationMs: 65_000,
    ref: `refs/planspace/rmx1k2/step-2/candidate-${k}`,
    summary: `candidate ${k} done`,
    reason: null,
    ...fields,
  };
}

/** A finished round of step 2: 2 picked (smallest diff), 3 failed its verification. */
const PICKED: CandidatesRecord = {
  version: 1,
  step: 2,
  runId: 'rmx1k2',
  round: 1,
  judge: 'smallest',
  base: '9f2c1e0aa',
  candidates: [
    entry(1, 'opus', { filesChanged: 3, added: 48, removed: 12, durationMs: 130_000 }),
    entry(2, 'codex', { filesChanged: 2, added: 21, removed: 4, durationMs: 102_000 }),
    entry(3, 'glm', {
      status: 'failed',
      verify: 'failed',
      added: 30,
      removed: 2,
      durationMs: 115_000,
      reason: 'verify failed: npm test exited 1',
    }),
  ],
  picked: 2,
  pickReason: 'the smallest diff (25 lines)',
  merged: true,
};

/** A planspace with `records` written as `artifacts/step-N-candidates.json`. */
async function planspaceWith(...records: CandidatesRecord[]): Promise<string> {
  return makeTree({
    'schedule.md': SCHEDULE,
    ...Object.fromEntries(
      records.map((record) => [
        `artifacts/step-${record.step}-candidates.json`,
        `${JSON.stringify(record, null, 2)}\n`,
      ]),
    ),
  });
}

describe('workflow candidates', () => {
  it('prints a table of the candidates, the pick with its reason, and why the others failed', async () => {
    const plan = await planspaceWith(PICKED);
    const result = await runWorkflow(['candidates', plan, '2']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      [
        'step 2, round 1 of run rmx1k2: 3 candidates, judge smallest',
        'k  model  status    verify  files  +/-      duration  picked',
        '1  opus   eligible  passed  3      +48/-12  2m 10s',
        '2  codex  eligible  passed  2      +21/-4   1m 42s    *',
        '3  glm    failed    failed  2      +30/-2   1m 55s',
        'picked 2/3 (codex): the smallest diff (25 lines)',
        'candidate 3 failed: verify failed: npm test exited 1',
        '',
      ].join('\n'),
    );
  });

  it("says none picked with the judge's reason, and shows a stopped candidate's unknown sizes as -", async () => {
    const none: CandidatesRecord = {
      ...PICKED,
      round: 2,
      judge: 'codex-high',
      candidates: [
        entry(1, 'opus', { status: 'failed', verify: 'failed', reason: 'verify failed: lint' }),
        entry(2, 'codex', {}),
        entry(3, 'glm', {
          status: 'stopped',
          verify: null,
          filesChanged: null,
          added: null,
          removed: null,
          durationMs: null,
          ref: null,
          reason: 'the run was aborted',
        }),
      ],
      picked: null,
      pickReason: 'PICK: none the tests of 2 do not cover the parser',
      merged: false,
    };
    const plan = await planspaceWith(none);
    const { stdout, code } = await runWorkflow(['candidates', plan, '2']);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('step 2, round 2 of run rmx1k2: 3 candidates, judge codex-high');
    expect(lines[4]).toBe('3  glm    stopped   -       -      -       -');
    expect(lines[2]).not.toContain('*');
    expect(lines[3]).not.toContain('*');
    expect(stdout).toContain('\nnone picked: PICK: none the tests of 2 do not cover the parser\n');
    expect(stdout).toContain('\ncandidate 3 stopped: the run was aborted\n');
  });

  it('--json prints the record as written, with its field names', async () => {
    const plan = await planspaceWith(PICKED);
    const result = await runWorkflow(['candidates', plan, '2', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(PICKED);
  });

  it.each([
    ['a step that is no candidates step', '3', /step 3 is not a candidates step .*artifacts\/step-3-candidates\.json/],
    [
      'a candidates step that has not run yet',
      '4',
      /step 4 has not run its candidates yet: no .*artifacts\/step-4-candidates\.json/,
    ],
    ['a step the schedule lacks', '9', /schedule\.md: no step 9/],
    ['a step number that is none', 'two', /step number must be a positive whole number, got 'two'/],
  ])('refuses %s: exit 2, one clear line, nothing written', async (_, step, message) => {
    const plan = await planspaceWith(PICKED);
    const before = await readFile(join(plan, 'schedule.md'), 'utf8');
    const result = await runWorkflow(['candidates', plan, step]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(await readFile(join(plan, 'schedule.md'), 'utf8')).toBe(before);
  });

  it('refuses a record that is not one, naming the file: exit 2', async () => {
    const plan = await planspaceWith(PICKED);
    await writeFile(join(plan, 'artifacts', 'step-2-candidates.json'), '{"version": 1, "step": 2');
    const torn = await runWorkflow(['candidates', plan, '2']);
    expect(torn.code).toBe(2);
    expect(torn.stderr).toMatch(/artifacts\/step-2-candidates\.json is not a candidates record/);
    await writeFile(join(plan, 'artifacts', 'step-2-candidates.json'), '{"version": 1, "step": 2}\n');
    const shapeless = await runWorkflow(['candidates', plan, '2']);
    expect(shapeless.code).toBe(2);
    expect(shapeless.stderr).toMatch(/step-2-candidates\.json is not a candidates record: no 'candidates' list/);
  });

  it('refuses a folder that is not a planspace: exit 2', async () => {
    const plan = await planspaceWith(PICKED);
    const result = await runWorkflow(['candidates', join(plan, 'nope'), '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a planspace');
  });
});

describe('workflow report: steps that ran candidates', () => {
  it('shows picked k/N (model) for a step with a pick, no candidate picked for one without', async () => {
    const none: CandidatesRecord = {
      ...PICKED,
      step: 4,
      candidates: [entry(1, 'opus', { status: 'failed', reason: 'exit code 1' }), entry(2, 'codex', {})],
      picked: null,
      pickReason: 'the judge failed',
      merged: false,
    };
    const plan = await planspaceWith(PICKED, none);
    const text = await runWorkflow(['report', plan]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('\nstep 2 candidates: picked 2/3 (codex)\n');
    expect(text.stdout).toContain('\nstep 4 candidates: no candidate picked\n');
    expect(text.stdout).not.toMatch(/step [13] candidates/);
    const json = await runWorkflow(['report', plan, '--json']);
    const report = JSON.parse(json.stdout) as { steps: { number: number; candidates?: unknown }[] };
    expect(report.steps.find((step) => step.number === 2)?.candidates).toEqual({
      round: 1,
      count: 3,
      picked: 2,
      model: 'codex',
      summary: 'picked 2/3 (codex)',
    });
    expect(report.steps.find((step) => step.number === 1)?.candidates).toBeUndefined();
  });

  it('says a round that still runs has no pick yet', async () => {
    const running: CandidatesRecord = {
      ...PICKED,
      candidates: [
        entry(1, 'opus', { status: 'running', durationMs: null }),
        entry(2, 'codex', {}),
        entry(3, 'glm', { status: 'running' }),
      ],
      picked: null,
      pickReason: null,
      merged: false,
    };
    const plan = await planspaceWith(running);
    const { stdout } = await runWorkflow(['report', plan]);
    expect(stdout).toContain('\nstep 2 candidates: no candidate picked yet (2 running)\n');
  });
});
