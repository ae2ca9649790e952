/**
 * Path traversal in every name a user gives the `workflow` CLI (mailbox names and `--from` are
 * in test/mailbox/names.test.ts). Each is refused with exit 2 and a clear reason before any
 * file is read or written, or shown to stay inside its folder. Model names in step lines and
 * block names are refused by the schedule grammar (the corpus's model-traversal.md and
 * block-traversal.md, in bad-input.test.ts); `done:`/`fail:`/`progress:` tags are never paths
 * (shell-metachars.test.ts sends `progress:../../$(touch PWNED):...` through a real run).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelToml } from '../engine/setup.js';
import { makeSandbox, snapshot } from './sandbox.js';

const SCHEDULE =
  '# Schedule: names\n\n[wait] 1. plan | m -- write the plan (guide.md Stage 1)\n[wait] 2. build | m -- build it\n';

/** A model entry outside the registry folders: if it were ever read, `check` would pass. */
const PLANTED = { 'evil.toml': modelToml({ command: 'true' }), 'secret.md': '# Secret\n\n## Stage 1\n\nsecret text\n' };

describe('names that could escape their folder', () => {
  it("refuses the exception handler's model '../evil' before reading a registry file", async () => {
    const box = await makeSandbox(SCHEDULE, {
      ...PLANTED,
      'agents/exception-handler.md': '---\nmodel: ../evil\n---\nYou handle failures.\n',
    });
    const before = await snapshot(box.root);
    for (const verb of ['check', 'run']) {
      const result = await box.workflow([verb, box.planspace, ...box.sources]);
      expect(result.code, verb).toBe(2);
      expect(`${result.stdout}${result.stderr}`).toMatch(/exception handler .*bad model name: '\.\.\/evil'/);
    }
    expect(await snapshot(box.root)).toEqual(before);
  });

  it.each(['../secret.md Stage 1', '/etc/hostname.md', 'sub/../../secret.md'])(
    "refuses the ref '%s', which names a file outside the skills folder",
    async (ref) => {
      const box = await makeSandbox(`[wait] 1. plan | m -- read outside (${ref})\n`, PLANTED);
      const before = await snapshot(box.root);
      for (const args of [['check'], ['run'], ['run', '--dry-run']]) {
        const [verb = '', ...rest] = args;
        const result = await box.workflow([verb, box.planspace, ...box.sources, ...rest]);
        const output = `${result.stdout}${result.stderr}`;
        expect(result.code, args.join(' ')).toBe(2);
        expect(output).toContain(`schedule.md:1: step 1: ref '${ref}' names a file outside the skills folder`);
        expect(output).not.toContain('secret text');
      }
      expect(await snapshot(box.root)).toEqual(before);
    },
  );

  it.each([
    [['--only', '../1'], "--only wants step numbers such as 3 or 2,5; found '../1'"],
    [['--only', '1,/2'], "--only wants step numbers such as 3 or 2,5; found '/2'"],
    [['--from', '../../1'], "--from wants a step number such as 4; found '../../1'"],
    [['--from', '1e3'], "--from wants a step number such as 4; found '1e3'"],
    [['--from', '99999999999999999'], "--from wants a step number such as 4; found '99999999999999999'"],
    [['--only', '7'], 'no step 7 in'],
    [['--concurrency', '../4'], "--concurrency wants a count of at least 1, such as 8; found '../4'"],
  ])('refuses run %j with a clear reason and no file touched', async (options, reason) => {
    const box = await makeSandbox(SCHEDULE);
    const before = await snapshot(box.root);
    for (const extra of [[], ['--dry-run']]) {
      const result = await box.workflow(['run', box.planspace, ...box.sources, ...options, ...extra]);
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toContain(reason);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await snapshot(box.root)).toEqual(before);
  });

  it('answers only a recorded question: an --id that is a path matches none and touches nothing', async () => {
    const question = {
      id: 'q1',
      kind: 'ask',
      step: 1,
      asker: 'step-1',
      question: 'Which?',
      askedAt: '2026-01-01T00:00:00.000Z',
      runId: 'rtest-1-1',
    };
    // A live engine (this test's own process stands in for it) whose run asked q1: q1 is open.
    const hold = { pid: process.pid, runId: 'rtest', since: '2026-01-01T00:00:00.000Z' };
    const box = await makeSandbox(SCHEDULE, {
      'plan/questions/q1.json': `${JSON.stringify(question)}\n`,
      'plan/engine.json': `${JSON.stringify(hold)}\n`,
    });
    const before = await snapshot(box.root);
    for (const id of ['../questions/q1', '../../plan/questions/q1', 'q1.json', '/q1']) {
      const result = await box.workflow(['answer', box.planspace, '--id', id, 'an answer']);
      expect(result, id).toMatchObject({ code: 2, stdout: '', stderr: `no question ${id}; open questions: q1\n` });
    }
    expect(await snapshot(box.root)).toEqual(before);
    // The control: the recorded id is answered, so the refusals above were not vacuous.
    expect(await box.workflow(['answer', box.planspace, '--id', 'q1', 'an answer'])).toMatchObject({
      code: 0,
      stdout: 'answered:q1\n',
    });
  });

  it('takes a --template without a slash as a name in the package, and a path as a path (by design)', async () => {
    const box = await makeSandbox(SCHEDULE, { 'tpl.md': '[wait] 1. plan | m -- {{goal}}\n' });
    const target = join(box.root, 'new');
    const before = await snapshot(box.root);
    for (const name of ['..', '.', 'feature.', 'schedules']) {
      const result = await box.workflow(['init', target, '--template', name, '--set', 'goal=x']);
      expect(result, name).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toBe(`no schedule template '${name}' (give a name from templates/schedules/ or a path)\n`);
    }
    expect(await snapshot(box.root)).toEqual(before);
    // `--set` keys are placeholder names, never paths: a key like ../../evil is only unused.
    const made = await box.workflow([
      'init',
      target,
      '--template',
      '../tpl.md',
      '--set',
      'goal=x',
      '--set',
      '../../evil=1',
    ]);
    expect(made, made.stderr).toMatchObject({ code: 0 });
    const after = await snapshot(box.root);
    const added = [...after.keys()].filter((path) => !before.has(path));
    expect(added).toEqual(['new', 'new/artifacts', 'new/log.md', 'new/schedule.md', 'new/state.md']);
    expect(
      await box.workflow(['init', join(box.root, 'other'), '--template', '../tpl.md', '--set', '=1']),
    ).toMatchObject({ code: 2 });
  });

  it('refuses an empty planspace argument instead of using the current folder', async () => {
    // The working directory holds a schedule: an unset "$PLAN" must not change it.
    const box = await makeSandbox(SCHEDULE, { 'code/schedule.md': SCHEDULE });
    const before = await snapshot(box.root);
    const verbs = [
      ['next'],
      ['next', '--all'],
      ['done', '1'],
      ['fail', '1'],
      ['skip', '1'],
      ['status'],
      ['check'],
      ['report'],
      ['run', ...box.sources],
      ['run', ...box.sources, '--dry-run'],
      ['questions'],
      ['answer', 'text'],
      ['mailbox', 'send', 'x', 'hello'],
    ];
    for (const [verb = '', ...rest] of verbs) {
      const args = verb === 'mailbox' ? [verb, rest[0] ?? '', '', ...rest.slice(1)] : [verb, '', ...rest];
      const result = await box.workflow(args);
      expect(result, args.join(' ')).toMatchObject({
        code: 2,
        stdout: '',
        stderr: 'the planspace argument is empty; give its folder (. for this one)\n',
      });
    }
    expect(await snapshot(box.root)).toEqual(before);
    expect(await readdir(box.codespace)).toEqual(['README.md', 'schedule.md']);
  });
});
