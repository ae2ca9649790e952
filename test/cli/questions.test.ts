/**
 * `workflow answer`, `questions` and `abort` as a new user meets them: a long answer from
 * standard input, an empty one refused, `no open questions` at a terminal (and nothing in a
 * pipe), `abort` without an engine told apart by its own code, each exit code listed once.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlanspaceWithOpenQuestion, makeTree, runWorkflow, WORKFLOW_BIN } from '../helpers.js';

const SCHEDULE = '[wait] 1. a | m -- d\n';

/** A planspace with open question q1: its run's engine is this test's own (live) process. */
function withOpenQuestion(): Promise<string> {
  return makePlanspaceWithOpenQuestion(SCHEDULE);
}

async function answerOf(plan: string): Promise<unknown> {
  return (JSON.parse(await readFile(join(plan, 'questions', 'q1.json'), 'utf8')) as { answer?: unknown }).answer;
}

/** Runs `workflow <args>` with its standard output on a terminal (`script` gives it one). */
function runAtTerminal(args: readonly string[]): Promise<string> {
  const command = [process.execPath, WORKFLOW_BIN, ...args].map((word) => `'${word}'`).join(' ');
  return new Promise((resolve, reject) => {
    execFile('script', ['-qec', command, '/dev/null'], (error, stdout) => {
      if (error) reject(new Error(`script failed: ${error.message}`, { cause: error }));
      else resolve(stdout.replaceAll('\r\n', '\n'));
    });
  });
}

describe('workflow answer', () => {
  it('reads a long answer from standard input for -', async () => {
    const plan = await withOpenQuestion();
    const long = `use the v2 API\n\n- keep the old endpoint\n- ${'x'.repeat(5000)}\n`;
    const result = await runWorkflow(['answer', plan, '--id', 'q1', '-'], { input: long });
    expect(result).toMatchObject({ code: 0, stdout: 'answered:q1\n' });
    expect(await answerOf(plan)).toBe(long.trimEnd());
  });

  it('reads piped standard input when no words are given', async () => {
    const plan = await withOpenQuestion();
    const result = await runWorkflow(['answer', plan, '--id', 'q1'], { input: 'skip\n' });
    expect(result).toMatchObject({ code: 0, stdout: 'answered:q1\n' });
    expect(await answerOf(plan)).toBe('skip');
  });

  it('refuses an empty answer, exit 2, and sends nothing', async () => {
    const plan = await withOpenQuestion();
    for (const [args, input] of [
      [['-'], '\n'],
      [[], ''],
      [['  '], ''],
    ] as const) {
      const result = await runWorkflow(['answer', plan, '--id', 'q1', ...args], { input });
      expect(result.code, JSON.stringify(args)).toBe(2);
      expect(result.stderr).toMatch(/^the answer is empty.*; nothing was sent\n$/);
    }
    expect(await answerOf(plan)).toBeUndefined();
  });

  it('--help lists each exit code once', async () => {
    const { stdout } = await runWorkflow(['answer', '--help']);
    const codes = stdout
      .slice(stdout.indexOf('Exit codes:'))
      .split('\n')
      .flatMap((line) => /^ {2}(\d+) /.exec(line)?.[1] ?? []);
    expect(codes).toEqual(['0', '2']);
  });
});

describe('workflow questions', () => {
  it("says 'no open questions' at a terminal, and prints nothing into a pipe", async () => {
    const plan = await withOpenQuestion();
    await runWorkflow(['answer', plan, '--id', 'q1', 'skip']);
    expect(await runAtTerminal(['questions', plan])).toBe('no open questions\n');
    expect(await runWorkflow(['questions', plan])).toMatchObject({ code: 0, stdout: '' });
  });
});

describe('workflow abort', () => {
  it('without an engine: its own exit code 5 and JSON error code', async () => {
    const root = await makeTree({ 'plan/schedule.md': SCHEDULE });
    const plan = join(root, 'plan');
    const json = await runWorkflow(['abort', plan, '--json']);
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'E_NO_ENGINE', message: `no engine is running ${plan}` },
    });
    expect(await runWorkflow(['abort', plan])).toMatchObject({
      code: 5,
      stdout: '',
      stderr: `no engine is running ${plan}\n`,
    });
    expect((await runWorkflow(['abort', '--help'])).stdout).toContain('5  no engine is running the planspace');
  });
});
