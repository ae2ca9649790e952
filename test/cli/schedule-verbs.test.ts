/**
 * The shell contract of DESIGN.md §3, through the real `workflow` executable: exact outputs,
 * exit codes, `--json`, and errors that leave the schedule byte for byte as it was.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile, makePlanspace, readTemplate, runWorkflow } from '../helpers.js';

const SCHEDULE = [
  '# Schedule: demo',
  '',
  '[wait] 1. decompose | claude-opus -- split the proposal (implement.md Stage 1)',
  '[wait] 2. scan | glm,claude-opus -- relevance scan (implement.md Stage 3)',
  '[wait] 3. promote | claude-opus -- review constraints',
  '',
].join('\n');

async function scheduleOf(planspace: string): Promise<string> {
  return readFile(join(planspace, 'schedule.md'), 'utf8');
}

describe('workflow next / done / fail / retry / skip / status', () => {
  it('walks a schedule with the exact outputs of the contract', async () => {
    const plan = await makePlanspace(SCHEDULE);
    const step = (status: string, n: number): string =>
      (SCHEDULE.split('\n')[n + 1] ?? '').replace('[wait]', `[${status}]`);

    expect(await runWorkflow(['status', plan])).toMatchObject({
      code: 0,
      stdout: 'Total: 3 | Done: 0 | Running: 0 | Failed: 0 | Waiting: 3 | Skipped: 0\n',
    });
    expect(await runWorkflow(['next', plan])).toMatchObject({ code: 0, stdout: `3:${step('run', 1)}\n` });
    // Session recovery: the [run] step is printed again, unchanged.
    expect(await runWorkflow(['next', plan])).toMatchObject({ code: 0, stdout: `3:${step('run', 1)}\n` });
    expect(await runWorkflow(['done', plan])).toMatchObject({ code: 0, stdout: `Marked done: ${step('done', 1)}\n` });
    expect(await runWorkflow(['next', plan])).toMatchObject({ code: 0, stdout: `4:${step('run', 2)}\n` });
    expect(await runWorkflow(['fail', plan])).toMatchObject({ code: 0, stdout: `Marked fail: ${step('fail', 2)}\n` });
    expect(await runWorkflow(['next', plan])).toMatchObject({ code: 3, stdout: `BLOCKED 4:${step('fail', 2)}\n` });
    expect(await runWorkflow(['retry', plan])).toMatchObject({
      code: 0,
      stdout: `Reset to wait: ${step('wait', 2)}\n`,
    });
    expect(await runWorkflow(['next', plan])).toMatchObject({ code: 0, stdout: `4:${step('run', 2)}\n` });
    expect(await runWorkflow(['skip', plan])).toMatchObject({ code: 0, stdout: `Skipped: ${step('skip', 2)}\n` });
    expect(await runWorkflow(['status', plan])).toMatchObject({
      stdout: 'Total: 3 | Done: 1 | Running: 0 | Failed: 0 | Waiting: 1 | Skipped: 1\n',
    });
    expect(await runWorkflow(['done', plan, '3'])).toMatchObject({
      code: 0,
      stdout: `Marked done: ${step('done', 3)}\n`,
    });
    expect(await runWorkflow(['next', plan])).toMatchObject({ code: 0, stdout: 'COMPLETE\n' });
    // Only the markers changed.
    expect(await scheduleOf(plan)).toBe(
      SCHEDULE.replace('[wait] 1.', '[done] 1.').replace('[wait] 2.', '[skip] 2.').replace('[wait] 3.', '[done] 3.'),
    );
  });

  it('exits 1 with ERROR when there is no step to act on, and writes nothing', async () => {
    const plan = await makePlanspace(SCHEDULE);
    const before = await hashFile(join(plan, 'schedule.md'));
    const cases: [string[], string][] = [
      [['done', plan], 'ERROR: no [run] step to mark done\n'],
      [['fail', plan], 'ERROR: no [run] step to mark fail\n'],
      [['skip', plan], 'ERROR: no [run] step to skip\n'],
      [['retry', plan], 'ERROR: no [fail] step to retry\n'],
      [['done', plan, '9'], 'ERROR: no step 9 to mark done\n'],
    ];
    for (const [args, stdout] of cases) {
      expect(await runWorkflow(args)).toMatchObject({ code: 1, stdout });
    }
    expect(await hashFile(join(plan, 'schedule.md'))).toBe(before);
  });

  it('parses a step line into six fields, dropping a leading "<line>:" and nothing else', async () => {
    const line =
      '12:[run] 4. section-loop | claude-opus,gpt-5.3-codex-high -- per-section (a) work (implement.md Stages 4-5)';
    const result = await runWorkflow(['parse', '/any/planspace', line]);
    expect(result).toMatchObject({
      code: 0,
      stdout: [
        'status=[run]',
        'num=4',
        'name=section-loop',
        'model=claude-opus,gpt-5.3-codex-high',
        'desc=per-section (a) work',
        'ref=implement.md Stages 4-5',
        '',
      ].join('\n'),
    });
    expect((await runWorkflow(['parse', '[wait] 7. promote | opus -- review'])).stdout).toContain('ref=\n');
  });

  it('gives one JSON document with --json', async () => {
    const plan = await makePlanspace(SCHEDULE);
    const next = await runWorkflow(['next', plan, '--json']);
    expect(JSON.parse(next.stdout)).toMatchObject({
      result: 'started',
      step: { line: 3, status: 'run', number: 1, name: 'decompose', model: 'claude-opus', ref: 'implement.md Stage 1' },
      skipped: [],
    });
    expect(JSON.parse((await runWorkflow(['status', plan, '--json'])).stdout)).toEqual({
      total: 3,
      done: 0,
      running: 1,
      failed: 0,
      waiting: 2,
      skipped: 0,
    });
    expect(JSON.parse((await runWorkflow(['done', plan, '--json'])).stdout)).toMatchObject({
      previous: 'run',
      step: { status: 'done', number: 1 },
    });
    const parsed: unknown = JSON.parse(
      (await runWorkflow(['parse', plan, '3:[wait] 2. scan | glm,x -- d (r)', '--json'])).stdout,
    );
    expect(parsed).toMatchObject({ number: 2, models: ['glm', 'x'], model: 'glm', description: 'd', ref: 'r' });
    const missing = await runWorkflow(['done', plan, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'E_NO_STEP' } });
  });

  it('shows usage with an example in --help, and exits 2 on bad usage', async () => {
    const help = await runWorkflow(['next', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('$ workflow next ./plan');
    expect((await runWorkflow(['frobnicate'])).code).toBe(2);
    expect((await runWorkflow(['next'])).code).toBe(2);
    const plan = await makePlanspace(SCHEDULE);
    const bad = await runWorkflow(['done', plan, '0']);
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toBe("step number must be a positive whole number, got '0'\n");
  });

  it("runs the test skill's implement-proposal template to COMPLETE", async () => {
    const plan = await makePlanspace((await readTemplate('implement-proposal.md')).replaceAll('{{task-name}}', 'x'));
    for (let n = 1; n <= 7; n += 1) {
      expect((await runWorkflow(['next', plan])).stdout).toMatch(new RegExp(`^\\d+:\\[run\\] ${n}\\. `));
      expect((await runWorkflow(['done', plan])).code).toBe(0);
    }
    expect((await runWorkflow(['next', plan])).stdout).toBe('COMPLETE\n');
  });
});

describe('bad input: exit 2, a reason naming file, line and column, and no write', () => {
  const cases: { name: string; content: string | Uint8Array; stderr: RegExp[] }[] = [
    {
      name: 'a malformed marker',
      content: '# S\n[wait] 1. a | m -- d\n[WAIT] 2. b | m -- d\n',
      stderr: [/schedule\.md:3:2: expected a status: wait, run, done, fail or skip, found 'WAIT'/],
    },
    {
      name: 'a missing model separator',
      content: '[wait] 1. a | m\n',
      stderr: [/schedule\.md:1:15: expected a comma list of models followed by ' -- ', found 'm'/],
    },
    {
      name: 'duplicate numbers, both lines named',
      content: '[wait] 1. a | m -- d\n[wait] 2. b | m -- d\n[wait] 1. c | m -- d\n',
      stderr: [/schedule\.md:3:8: expected a step number not used before, found 1, already used on line 1/],
    },
    {
      name: 'several problems at once',
      content: '[wait] 1. a | m -- d\n[wiat] 2. b | m -- d\n[wait] 3. c | m -- d\n  - timeout: soon\n',
      stderr: [/schedule\.md:2:2: /, /schedule\.md:4:14: expected a duration/],
    },
    {
      // Issue 10: the indented step vanished from next, status and run alike.
      name: 'a step line indented by a space',
      content: '# S\n[wait] 1. a | m -- d\n\n [wait] 3. scan | glm -- relevance scan\n',
      stderr: [/schedule\.md:4:1: expected a step line starting in column 0, found 1 leading space before '\[wait\]'/],
    },
    {
      name: 'a number beyond a safe integer',
      content: '[wait] 99999999999999999999. a | m -- d\n',
      stderr: [/schedule\.md:1:8: expected a step number no larger than 9007199254740991/],
    },
    {
      name: 'a NUL byte',
      content: Buffer.from('[wait] 1. a | m -- d\n[wait] 2. b\0 | m -- d\n'),
      stderr: [/schedule\.md:2:12: expected text, found a NUL byte/],
    },
    {
      name: 'invalid UTF-8',
      content: Buffer.concat([
        Buffer.from('[wait] 1. a | m -- d\n# caf'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('\n'),
      ]),
      stderr: [/schedule\.md:2:6: expected UTF-8 text, found the invalid byte 0xc3/],
    },
    {
      name: 'binary content',
      content: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe, 0x0a]),
      stderr: [/schedule\.md:1:\d+: expected /],
    },
  ];

  it.each(cases)('$name', async ({ content, stderr }) => {
    const plan = await makePlanspace(content);
    const path = join(plan, 'schedule.md');
    const before = await hashFile(path);
    for (const verb of ['next', 'done', 'fail', 'skip', 'retry', 'status', 'run']) {
      const result = await runWorkflow([verb, plan, ...(verb === 'run' ? ['--codespace', plan] : [])]);
      expect(result.code, verb).toBe(2);
      expect(result.stdout, verb).toBe('');
      for (const pattern of stderr) expect(result.stderr, verb).toMatch(pattern);
    }
    const check = await runWorkflow(['check', plan]);
    expect(check.code).toBe(2);
    for (const pattern of stderr) expect(check.stdout).toMatch(pattern);
    expect(await hashFile(path)).toBe(before);
  });

  it('names the missing schedule', async () => {
    const plan = await makePlanspace('');
    const result = await runWorkflow(['next', join(plan, 'nowhere')]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(`${join(plan, 'nowhere')} is not a planspace (no schedule.md)\n`);
  });

  it('refuses a bad line given to parse', async () => {
    const result = await runWorkflow(['parse', '[wait] 1. a | m']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain("<line>:1:15: expected a comma list of models followed by ' -- '");
    const indented = await runWorkflow(['parse', '4: [wait] 3. scan | glm -- d']);
    expect(indented).toMatchObject({ code: 2, stdout: '' });
    expect(indented.stderr).toContain('<line>:1:1: expected a step line starting in column 0, found 1 leading space');
  });

  it('check says OK with the step count for a good schedule', async () => {
    const plan = await makePlanspace(SCHEDULE);
    expect(await runWorkflow(['check', plan])).toMatchObject({
      code: 0,
      stdout: `OK: ${join(plan, 'schedule.md')}: 3 steps\n`,
    });
  });

  it('keeps CRLF line endings and trailing spaces when marking', async () => {
    const text = '# S  \r\n\r\n[wait] 1. a | m -- d (r)  \r\n[wait] 2. b | m -- e\r\n';
    const plan = await makePlanspace(text);
    await runWorkflow(['next', plan]);
    await runWorkflow(['done', plan]);
    expect(await scheduleOf(plan)).toBe(text.replace('[wait] 1.', '[done] 1.'));
  });

  it('leaves no temporary file behind', async () => {
    const plan = await makePlanspace(SCHEDULE);
    await runWorkflow(['next', plan]);
    await writeFile(join(plan, 'extra.md'), 'x');
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(plan)).sort()).toEqual(['extra.md', 'schedule.md']);
  });
});
