/**
 * How the refused files of the bad-input corpus (`test/fixtures/bad/`, see its README.md) are
 * fed to the real `workflow` executable: every verb must exit 2 with one line per problem
 * naming `schedule.md:<line>:<column>`, no stack trace, and leave the sandbox (planspace,
 * codespace, models, skills, agents) exactly as it was: no file changed, none created (no
 * temporary file, no lock folder, no log).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT, type RunResult } from '../helpers.js';
import { inPool, makeSandbox, snapshot, type Sandbox } from './sandbox.js';

/** The corpus folder. */
export const CORPUS = join(ROOT, 'test', 'fixtures', 'bad');

/** A problem line as the CLI prints it: `<path>/schedule.md:<line>:<column>: expected ..., found ...`. */
const PROBLEM = /^\S*schedule\.md:(\d+):\d+: expected .+, found .+$/;

/** A refused file: the lines its problems name, and step lines to give `parse` (which takes a line). */
export interface Refused {
  readonly file: string;
  readonly lines: readonly number[];
  readonly parseLines?: readonly number[];
}

/** Every verb that takes the planspace (`check` and `next --json` aside), as arguments after `workflow`. */
function planspaceVerbs(box: Sandbox): string[][] {
  const plan = box.planspace;
  return [
    ['next', plan],
    ['next', plan, '--all'],
    ['done', plan],
    ['fail', plan],
    ['skip', plan],
    ['retry', plan],
    ['done', plan, '1'],
    ['status', plan],
    ['report', plan],
    ['run', plan, ...box.sources],
    ['run', plan, ...box.sources, '--dry-run'],
  ];
}

/** Asserts that `output` is one problem line per blamed line, naming exactly `lines`. */
function expectProblems(output: string, lines: readonly number[], what: string): void {
  expect(output, what).not.toMatch(/^\s+at |internal error/m);
  const printed = output.replace(/\n$/, '').split('\n');
  for (const line of printed) expect(line, what).toMatch(PROBLEM);
  expect(
    printed.map((line) => Number(PROBLEM.exec(line)?.[1])),
    what,
  ).toEqual(lines);
}

/**
 * Runs every verb on a sandbox holding the corpus file `file` as its schedule and asserts the
 * refusal: exit 2, the problems naming exactly `lines`, and no file of the sandbox touched.
 */
export async function expectRefused({ file, lines, parseLines = [] }: Refused): Promise<void> {
  const bytes = await readFile(join(CORPUS, file));
  const box = await makeSandbox(bytes);
  const before = await snapshot(box.root);

  const verbs = planspaceVerbs(box);
  const results = await inPool(4, [
    ...verbs.map((args) => () => box.workflow(args)),
    () => box.workflow(['check', box.planspace, ...box.sources]),
    () => box.workflow(['next', box.planspace, '--json']),
  ]);
  verbs.forEach((args, index) => {
    const result = results[index] as RunResult;
    const what = `workflow ${args[0] ?? ''} ${args.slice(2).join(' ')}`;
    expect(result.code, what).toBe(2);
    expect(result.stdout, what).toBe('');
    expectProblems(result.stderr, lines, what);
  });
  // `check` lists the problems as its output.
  const check = results[verbs.length];
  expect(check?.code).toBe(2);
  expect(check?.stderr).toBe('');
  expectProblems(check?.stdout ?? '', lines, 'workflow check');
  const json = results.at(-1);
  expect(json?.code).toBe(2);
  const parsed = JSON.parse(json?.stdout ?? '') as { error: { code: string; problems: { line: number }[] } };
  expect(parsed.error.code).toBe('E_SCHEDULE_INVALID');
  expect(parsed.error.problems.map((problem) => problem.line)).toEqual(lines);

  // `parse` takes a step line, not the file: the blamed line itself is refused the same way.
  const text = bytes.toString('utf8').split('\n');
  for (const number of parseLines) {
    const line = (text[number - 1] ?? '').replace(/\r$/, '');
    const result = await box.workflow(['parse', box.planspace, line]);
    expect(result, `parse line ${number}`).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^<line>:1:\d+: expected .+, found .+\n$/);
  }

  expect(await snapshot(box.root)).toEqual(before);
}
