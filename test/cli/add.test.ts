/**
 * `workflow add` (issue 21, items 1, 2 and 5) through the real executable: the new number, where
 * the step lands, its attributes, the checks of a hand-written line (exit 2, nothing written),
 * `added-by:` from an agent, the loop guard (exit 1, the reason on stderr), and 20 adds at once.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSchedule } from '../../src/schedule/operations.js';
import { childEnv, hashFile, makePlanspace, ROOT, WORKFLOW_BIN, type RunResult } from '../helpers.js';

const SCHEDULE = [
  '# Schedule: living',
  '',
  '[wait] 1. review | glm -- review the change (implement.md Stage 6)',
  '  - timeout: 30m',
  '  - retries: 1',
  '[wait] 2. ship | glm -- ship it',
  '',
  'Notes stay as they are.',
  '',
].join('\n');

/** Runs `workflow add` (or any verb) with exactly `env` over the test's own environment. */
function workflow(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [WORKFLOW_BIN, ...args], { cwd: ROOT, env: childEnv(env) }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const scheduleOf = (planspace: string): Promise<string> => readFile(join(planspace, 'schedule.md'), 'utf8');

describe('workflow add', () => {
  it('adds a [wait] step with the next free number at the end and prints the number', async () => {
    const plan = await makePlanspace(SCHEDULE);
    expect(await workflow(['add', plan, 'fix | claude-opus -- fix the regression (implement.md Stage 5)'])).toEqual({
      code: 0,
      stdout: '3\n',
      stderr: '',
    });
    expect(await scheduleOf(plan)).toBe(
      `${SCHEDULE}[wait] 3. fix | claude-opus -- fix the regression (implement.md Stage 5)\n`,
    );
  });

  it('with --after N, lands after step N and its attribute items, attributes as list items', async () => {
    const plan = await makePlanspace(SCHEDULE);
    const result = await workflow([
      'add',
      plan,
      'fix | glm -- fix it',
      '--after',
      '1',
      '--needs',
      '1',
      '--when',
      'always',
      '--attr',
      'timeout=5m',
      '--attr',
      'verify=npm test',
    ]);
    expect(result).toMatchObject({ code: 0, stdout: '3\n' });
    const lines = SCHEDULE.split('\n');
    expect(await scheduleOf(plan)).toBe(
      [
        ...lines.slice(0, 5),
        '[wait] 3. fix | glm -- fix it',
        '  - needs: 1',
        '  - when: always',
        '  - timeout: 5m',
        '  - verify: npm test',
        ...lines.slice(5),
      ].join('\n'),
    );
    const step = (await readSchedule(plan)).steps.find((each) => each.number === 3);
    expect(step?.attributes).toEqual({ needs: [1], when: 'always', timeoutMs: 300_000, verify: ['npm test'] });
  });

  it('keeps CRLF line endings and numbers past the highest step, whatever the order', async () => {
    const plan = await makePlanspace('[done] 7. a | m -- x\r\n[wait] 3. b | m -- y');
    expect(await workflow(['add', plan, 'c | m -- z'])).toMatchObject({ code: 0, stdout: '8\n' });
    expect(await scheduleOf(plan)).toBe('[done] 7. a | m -- x\r\n[wait] 3. b | m -- y\r\n[wait] 8. c | m -- z\r\n');
  });

  it('--json gives the step with its number and line', async () => {
    const plan = await makePlanspace(SCHEDULE);
    const result = await workflow(['add', plan, 'fix | glm -- fix it', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      step: 3,
      line: 9,
      status: 'wait',
      name: 'fix',
      text: '[wait] 3. fix | glm -- fix it',
    });
  });

  it.each([
    ['a bad model list', ['bad | -- x'], /new step 3 in .*schedule\.md:9:17: expected a model name/],
    ['a missing " -- "', ['fix | glm fix it'], /expected a comma list of models followed by ' -- '/],
    ['a status marker', ['[wait] 9. fix | glm -- x'], /without its status and number/],
    ['a line break', ['fix | glm -- x\n[wait] 9. y | glm -- z'], /must be one line/],
    ['needs of a missing step', ['fix | glm -- x', '--needs', '9'], /step 9, which does not exist/],
    ['a bad attribute value', ['fix | glm -- x', '--attr', 'timeout=soon'], /expected a duration/],
    ['an unknown attribute', ['fix | glm -- x', '--attr', 'colour=red'], /expected an attribute 'key: value'/],
    ['an attribute twice', ['fix | glm -- x', '--needs', '1', '--attr', 'needs=2'], /each attribute once/],
    ['--attr without =', ['fix | glm -- x', '--attr', 'timeout'], /--attr wants key=value/],
    ['--after a missing step', ['fix | glm -- x', '--after', '9'], /there is no step 9/],
  ])('refuses %s: exit 2, the reason on stderr, nothing written', async (_, args, reason) => {
    const plan = await makePlanspace(SCHEDULE);
    const before = await hashFile(join(plan, 'schedule.md'));
    const result = await workflow(['add', plan, ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(reason);
    expect(await hashFile(join(plan, 'schedule.md'))).toBe(before);
  });

  it('refuses a step that would land inside an open fence', async () => {
    const plan = await makePlanspace('[wait] 1. a | m -- x\n```\ncode\n');
    const result = await workflow(['add', plan, 'b | m -- y']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/inside a fenced code block/);
    expect(await scheduleOf(plan)).toBe('[wait] 1. a | m -- x\n```\ncode\n');
  });

  it("from an agent (WORKFLOW_STEP), writes added-by: and needs the agent's step unless --needs says otherwise", async () => {
    const plan = await makePlanspace(SCHEDULE);
    expect(await workflow(['add', plan, 'fix | glm -- x'], { WORKFLOW_STEP: '1' })).toMatchObject({ code: 0 });
    expect(await workflow(['add', plan, 'again | glm -- y', '--needs', 'none'], { WORKFLOW_STEP: '1' })).toMatchObject({
      code: 0,
    });
    const steps = (await readSchedule(plan)).steps;
    expect(steps.find((step) => step.number === 3)?.attributes).toEqual({ addedBy: 1, needs: [1] });
    expect(steps.find((step) => step.number === 4)?.attributes).toEqual({ addedBy: 1, needs: [] });
  });

  it('loop guard: refuses past --max-steps, exit 1, the reason on stderr, nothing written', async () => {
    const plan = await makePlanspace(SCHEDULE);
    const before = await hashFile(join(plan, 'schedule.md'));
    const result = await workflow(['add', plan, 'fix | glm -- x', '--max-steps', '2']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/the schedule already holds 2 steps \(--max-steps 2\)/);
    expect(await hashFile(join(plan, 'schedule.md'))).toBe(before);
    // From the run's environment, as `workflow run --max-steps 2` gives it to agents.
    const agent = { WORKFLOW_STEP: '1', WORKFLOW_RUN_ID: 'rtest-1-1', WORKFLOW_MAX_STEPS: '2' };
    expect(await workflow(['add', plan, 'fix | glm -- x'], agent)).toMatchObject({ code: 1 });
    expect(await hashFile(join(plan, 'schedule.md'))).toBe(before);
  });

  it('loop guard: a step adds at most --max-added steps per run; a new run counts again', async () => {
    const plan = await makePlanspace(SCHEDULE);
    const agent = { WORKFLOW_STEP: '1', WORKFLOW_RUN_ID: 'rone-1-1', WORKFLOW_MAX_ADDED: '2' };
    expect((await workflow(['add', plan, 'a | glm -- x'], agent)).stdout).toBe('3\n');
    expect((await workflow(['add', plan, 'b | glm -- x'], agent)).stdout).toBe('4\n');
    // Step 2 counts for itself.
    expect((await workflow(['add', plan, 'c | glm -- x'], { ...agent, WORKFLOW_STEP: '2' })).stdout).toBe('5\n');
    const refused = await workflow(['add', plan, 'd | glm -- x'], agent);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/step 1 already added 2 steps in run rone \(--max-added 2\): 3, 4/);
    expect((await readSchedule(plan)).steps.map((step) => step.number)).toEqual([1, 2, 3, 4, 5]);
    // The next run (another run id) starts from zero.
    expect((await workflow(['add', plan, 'd | glm -- x'], { ...agent, WORKFLOW_RUN_ID: 'rtwo-1-9' })).stdout).toBe(
      '6\n',
    );
    // The refusal and the adds went to the engine's mailbox, where a live engine logs them.
    const pending = await workflow(['mailbox', 'drain', plan, 'orchestrator']);
    const messages = pending.stdout.split('\n---\n');
    // Each added: names the schedule's versions around its append, each after the one before.
    const version = '\\d+\\.\\d+\\.\\d+\\.\\d+';
    const added = (head: string): RegExp => new RegExp(`^${head} (${version}) (${version})$`);
    expect(messages).toEqual([
      expect.stringMatching(added('added:1:3')),
      expect.stringMatching(added('added:1:4')),
      expect.stringMatching(added('added:2:5')),
      'add-refused:1:refused to add a step: step 1 already added 2 steps in run rone (--max-added 2): 3, 4',
      expect.stringMatching(added('added:1:6')),
      '',
    ]);
    const versions = [0, 1, 2, 4].map(
      (i) =>
        added('added:\\d:\\d')
          .exec(messages[i] ?? '')
          ?.slice(1) ?? [],
    );
    for (let i = 1; i < versions.length; i += 1) expect(versions[i]?.[0]).toBe(versions[i - 1]?.[1]);
  });

  it('20 processes adding at once get 20 unique numbers, and the schedule stays valid', async () => {
    const plan = await makePlanspace(SCHEDULE);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => workflow(['add', plan, `added-${i} | glm -- concurrent add ${i}`])),
    );
    expect(results.map((result) => result.code)).toEqual(Array.from({ length: 20 }, () => 0));
    const numbers = results.map((result) => Number(result.stdout)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
    const steps = (await readSchedule(plan)).steps;
    expect(steps).toHaveLength(22);
    for (let i = 0; i < 20; i += 1) expect(steps.filter((step) => step.name === `added-${i}`)).toHaveLength(1);
    expect((await workflow(['check', plan])).code).toBe(0);
  }, 60_000);
});
