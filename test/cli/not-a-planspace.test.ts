/**
 * A wrong planspace path, given to every verb of both programs: one clear error, exit 2, and
 * nothing made or changed. Before, `questions ./nope` printed nothing with exit 0, `mailbox
 * check ./nope x` printed 0, `send` showed a raw `ENOENT ... mkdir`, `answer` a lock failure.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlanspace, runMailbox, runWorkflow } from '../helpers.js';

/** Every verb taking a planspace, with the arguments that follow it. */
const WORKFLOW_VERBS: Readonly<Record<string, readonly string[]>> = {
  next: [],
  done: [],
  fail: [],
  skip: [],
  retry: [],
  add: ['fix | glm -- fix it'],
  status: [],
  check: [],
  run: [],
  answer: ['--id', 'q1', 'yes'],
  questions: [],
  report: [],
  abort: [],
  checkpoints: [],
  rollback: ['--to', '1'],
  worktrees: [],
  artifacts: [],
  candidates: ['2'],
};
const MAILBOX_VERBS: Readonly<Record<string, readonly string[]>> = {
  register: ['scan'],
  unregister: ['scan'],
  send: ['scan', 'hello'],
  recv: ['scan', '1'],
  check: ['scan'],
  drain: ['scan'],
  agents: [],
  cleanup: [],
};

/** Verbs that take no planspace (`parse` takes a line, `completion` a shell, `models` a CLI), or create it (`init`). */
const EXEMPT = new Set(['parse', 'init', 'completion', 'mailbox', 'models', 'help']);

interface Case {
  readonly program: 'workflow' | 'mailbox' | 'workflow mailbox';
  readonly verb: string;
  readonly rest: readonly string[];
}

const CASES: Case[] = [
  ...Object.entries(WORKFLOW_VERBS).map(([verb, rest]) => ({ program: 'workflow' as const, verb, rest })),
  ...Object.entries(MAILBOX_VERBS).map(([verb, rest]) => ({ program: 'mailbox' as const, verb, rest })),
  ...Object.entries(MAILBOX_VERBS).map(([verb, rest]) => ({ program: 'workflow mailbox' as const, verb, rest })),
];

function call({ program, verb, rest }: Case, planspace: string) {
  const args = [verb, planspace, ...rest];
  return program === 'workflow'
    ? runWorkflow(args)
    : runMailbox(args, { program: program === 'mailbox' ? 'mailbox' : 'workflow' });
}

/** The verb names a program's `--help` lists under `Commands:`. */
async function listedVerbs(run: () => Promise<{ stdout: string }>): Promise<string[]> {
  const { stdout } = await run();
  const commands = stdout.slice(stdout.indexOf('Commands:'));
  return [...commands.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1] ?? '');
}

describe('a path that is not a planspace', () => {
  it('the table holds every verb of both programs', async () => {
    const workflow = await listedVerbs(() => runWorkflow(['--help']));
    const mailbox = await listedVerbs(() => runMailbox(['--help']));
    expect(workflow.length).toBeGreaterThan(10);
    expect(workflow.filter((verb) => !EXEMPT.has(verb)).sort()).toEqual(Object.keys(WORKFLOW_VERBS).sort());
    expect(mailbox.filter((verb) => !EXEMPT.has(verb)).sort()).toEqual(Object.keys(MAILBOX_VERBS).sort());
  });

  it.each(CASES)('$program $verb: a missing folder is named, exit 2, nothing made', async (each) => {
    const root = await makePlanspace('[wait] 1. a | m -- d\n');
    const nope = join(root, 'nope');
    const result = await call(each, nope);
    expect(result.stderr).toBe(`${nope} is not a planspace (no schedule.md)\n`);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(await readdir(root)).toEqual(['schedule.md']);
  });

  it.each(CASES)('$program $verb: the schedule file given for its folder is named', async (each) => {
    const root = await makePlanspace('[wait] 1. a | m -- d\n');
    const file = join(root, 'schedule.md');
    const result = await call(each, file);
    expect(result.stderr).toBe(`${file} is a file; give its folder: ${root}\n`);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(await readdir(root)).toEqual(['schedule.md']);
  });
});
