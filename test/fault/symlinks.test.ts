/**
 * Symbolic links planted in a planspace must not lead a write outside it: an agent output
 * file, a log, a mailbox journal or claims log linked to a file elsewhere, or a linked
 * `artifacts/`, `mailboxes/` or mailbox folder. Every command refuses with exit 2, naming the
 * link, and the file or folder the link points at is left as it was.
 */
import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { modelToml } from '../engine/setup.js';
import { makeTree, runMailbox } from '../helpers.js';
import { makeSandbox } from './sandbox.js';

const SCHEDULE = '# Schedule: links\n\n[wait] 1. first | m -- do it (guide.md Stage 1)\n';
const OUTSIDE_TEXT = 'precious bytes outside the planspace\n';

/** A file and a folder outside the planspace, for links to point at. */
async function makeOutside(): Promise<{ file: string; folder: string }> {
  const root = await makeTree({ 'victim.txt': OUTSIDE_TEXT, 'elsewhere/keep.txt': 'keep\n' });
  return { file: join(root, 'victim.txt'), folder: join(root, 'elsewhere') };
}

/** Asserts the outside file and folder are exactly as `makeOutside` made them. */
async function expectOutsideUntouched(outside: { file: string; folder: string }): Promise<void> {
  expect(await readFile(outside.file, 'utf8')).toBe(OUTSIDE_TEXT);
  expect(await readdir(outside.folder)).toEqual(['keep.txt']);
}

describe('workflow run with planted links', () => {
  const cases: readonly { what: string; link: string; to: 'file' | 'folder' }[] = [
    { what: "a step's output file", link: 'artifacts/step-1-output.md', to: 'file' },
    { what: "the exception handler's output file", link: 'artifacts/exception-1-output.md', to: 'file' },
    { what: 'log.md', link: 'log.md', to: 'file' },
    { what: 'events.jsonl', link: 'events.jsonl', to: 'file' },
    { what: 'state.md', link: 'state.md', to: 'file' },
    { what: "the engine's hold (engine.json)", link: 'engine.json', to: 'file' },
    { what: 'the artifacts folder', link: 'artifacts', to: 'folder' },
    { what: 'the mailboxes folder', link: 'mailboxes', to: 'folder' },
    { what: "the engine's mailbox folder", link: 'mailboxes/orchestrator', to: 'folder' },
  ];
  for (const { what, link, to } of cases) {
    it(`refuses ${what} linked outside the planspace: exit 2, nothing written there`, async () => {
      const outside = await makeOutside();
      const box = await makeSandbox(SCHEDULE);
      const at = join(box.planspace, link);
      await mkdir(join(at, '..'), { recursive: true });
      await symlink(to === 'file' ? outside.file : outside.folder, at);

      const result = await box.workflow(['run', box.planspace, ...box.sources]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(at);
      expect(result.stderr).toMatch(/symbolic link/);
      expect(result.stderr).not.toMatch(/^\s+at |internal error/m);
      await expectOutsideUntouched(outside);
      expect(await readFile(join(box.planspace, 'schedule.md'), 'utf8')).toBe(SCHEDULE);
    });
  }
});

describe('a link planted while the run goes on', () => {
  it('fails the step whose output file became a link, without writing through it', async () => {
    const outside = await makeOutside();
    // Step 1's agent plants the link where step 2's output will go.
    const plant = `require('fs').symlinkSync(process.env.TO, process.env.WORKFLOW_PLANSPACE + '/artifacts/step-2-output.md')`;
    const schedule = [
      '# Schedule: planted',
      '',
      '[wait] 1. first | linker -- plant a link (guide.md Stage 1)',
      '[wait] 2. second | m -- then this (guide.md Stage 2)',
      '',
    ].join('\n');
    const box = await makeSandbox(schedule, {
      'models/linker.toml': modelToml({ command: process.execPath, args: ['-e', plant], env: { TO: outside.file } }),
    });
    const run = box.workflow(['run', box.planspace, ...box.sources]);
    // Step 2 fails, the exception handler gives no verdict, and the escalation waits for a human.
    const log = join(box.planspace, 'log.md');
    const state = { ended: false };
    void run.then(() => (state.ended = true));
    const asked = async (): Promise<boolean> =>
      (await readFile(log, 'utf8').catch(() => '')).includes('needs a decision');
    // Bounded by the run: an engine that crashed instead would never ask.
    while (!state.ended && !(await asked())) await sleep(100);
    expect(await asked()).toBe(true);
    expect(await box.workflow(['answer', box.planspace, '--id', 'q1', 'skip'])).toMatchObject({ code: 0 });

    const result = await run;
    expect(result.code).toBe(0);
    expect(await readFile(log, 'utf8')).toContain(
      `${join(box.planspace, 'artifacts', 'step-2-output.md')} is a symbolic link`,
    );
    // Nor is the link read: its target's bytes would reach the exception handler's prompt.
    const handlerPrompt = await readFile(join(box.planspace, 'artifacts', 'exception-2-prompt.md'), 'utf8');
    expect(handlerPrompt).not.toContain(OUTSIDE_TEXT.trim());
    await expectOutsideUntouched(outside);
  });
});

describe('mailbox verbs with planted links', () => {
  const cases: readonly { what: string; link: string; to: 'file' | 'folder' }[] = [
    { what: 'a journal', link: 'mailboxes/bob/journal', to: 'file' },
    { what: 'a claims log', link: 'mailboxes/bob/claims', to: 'file' },
    { what: 'a mailbox folder', link: 'mailboxes/bob', to: 'folder' },
    { what: "a mailbox's data folder", link: 'mailboxes/bob/data', to: 'folder' },
    { what: 'the mailboxes folder', link: 'mailboxes', to: 'folder' },
  ];
  const verbs: readonly { verb: string; args: (plan: string) => string[] }[] = [
    { verb: 'send', args: (plan) => ['send', plan, 'bob', 'hello'] },
    { verb: 'recv', args: (plan) => ['recv', plan, 'bob', '1'] },
    { verb: 'register', args: (plan) => ['register', plan, 'bob', '1'] },
    { verb: 'drain', args: (plan) => ['drain', plan, 'bob'] },
    { verb: 'check', args: (plan) => ['check', plan, 'bob'] },
  ];
  for (const { what, link, to } of cases) {
    for (const { verb, args } of verbs) {
      it(`${verb} refuses ${what} linked outside the planspace`, async () => {
        const outside = await makeOutside();
        const plan = await makeTree({ 'schedule.md': SCHEDULE });
        // A real mailbox first (folders, journal, claims), then the link in place of one part.
        expect((await runMailbox(['send', plan, 'bob', 'first'])).code).toBe(0);
        const at = join(plan, link);
        await rm(at, { recursive: true });
        await symlink(to === 'file' ? outside.file : outside.folder, at);

        const result = await runMailbox(args(plan));

        // `send` never opens the claims log: it delivers, and writes nothing through the link.
        if (verb === 'send' && link.endsWith('/claims')) expect(result).toMatchObject({ code: 0, stderr: '' });
        else {
          expect(result.code).toBe(2);
          expect(result.stderr).toContain(at);
          expect(result.stderr).toMatch(/symbolic link/);
        }
        await expectOutsideUntouched(outside);
      });
    }
  }
});
