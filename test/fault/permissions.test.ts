/**
 * Who may write into a planspace. A planspace or mailboxes folder that another user owns, or
 * that its group or everyone may write to, lets someone else plant links, messages or steps:
 * every command refuses it with exit 2, names the folder and says what to do, and writes
 * nothing. Whatever the umask, what planspace creates is private: files 0600, folders 0700.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv, makeTree, MAILBOX_BIN, runMailbox, WORKFLOW_BIN, type RunResult } from '../helpers.js';
import { makeSandbox, snapshot } from './sandbox.js';

const SCHEDULE = '# Schedule: perms\n\n[wait] 1. first | m -- do it (guide.md Stage 1)\n';

describe('a planspace others may write to', () => {
  const modes: readonly { mode: number; says: string }[] = [
    { mode: 0o775, says: 'writable by its group: chmod g-w' },
    { mode: 0o757, says: 'writable by others: chmod o-w' },
    { mode: 0o777, says: 'writable by its group and by others: chmod go-w' },
  ];
  for (const { mode, says } of modes) {
    it(`is refused when its mode is ${mode.toString(8)}: exit 2, nothing written`, async () => {
      const box = await makeSandbox(SCHEDULE);
      await chmod(box.planspace, mode);
      const before = await snapshot(box.root);
      for (const args of [
        ['next', box.planspace],
        ['done', box.planspace, '1'],
        ['run', box.planspace, ...box.sources],
      ]) {
        const result = await box.workflow(args);
        expect(result.code, args[0]).toBe(2);
        expect(result.stderr, args[0]).toBe(`planspace ${box.planspace} is ${says} ${box.planspace}\n`);
      }
      const send = await runMailbox(['send', box.planspace, 'bob', 'hi']);
      expect(send.code).toBe(2);
      expect(send.stderr).toContain(`planspace ${box.planspace} is ${says}`);
      expect(await snapshot(box.root)).toEqual(before);
    });
  }

  it('is refused when another user owns it', async () => {
    const box = await makeSandbox(SCHEDULE);
    await chown(box.planspace, 1234, 1234);
    const before = await snapshot(box.root);
    const result = await box.workflow(['next', box.planspace]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`^planspace ${box.planspace} belongs to uid 1234, not to this user \\(uid \\d+\\)`),
    );
    expect((await runMailbox(['send', box.planspace, 'bob', 'hi'])).code).toBe(2);
    expect(await snapshot(box.root)).toEqual(before);
  });

  it('refuses a mailboxes folder others may write to, or owned by another user', async () => {
    const plan = await makeTree({ 'schedule.md': SCHEDULE });
    const mailboxes = join(plan, 'mailboxes');
    await mkdir(mailboxes);
    await chmod(mailboxes, 0o777);
    const open = await runMailbox(['send', plan, 'bob', 'hi']);
    expect(open.code).toBe(2);
    expect(open.stderr).toBe(
      `mailboxes folder ${mailboxes} is writable by its group and by others: chmod go-w ${mailboxes}\n`,
    );
    await chmod(mailboxes, 0o700);
    await chown(mailboxes, 1234, 1234);
    const owned = await runMailbox(['recv', plan, 'bob', '1']);
    expect(owned.code).toBe(2);
    expect(owned.stderr).toContain(`mailboxes folder ${mailboxes} belongs to uid 1234`);
    expect(await readdir(mailboxes)).toEqual([]);
  });

  it('`workflow init` refuses an existing folder others may write to, and writes nothing', async () => {
    const root = await makeTree({});
    const plan = join(root, 'plan');
    await mkdir(plan);
    await chmod(plan, 0o777);
    const result = await runShell(`node ${WORKFLOW_BIN} init ${plan} --template feature --set name=x`, root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`planspace ${plan} is writable by its group and by others`);
    expect(await readdir(plan)).toEqual([]);
  });
});

/** Runs a shell command line (for `umask`) in `cwd`. */
function runShell(line: string, cwd: string): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    execFile('sh', ['-c', line], { cwd, env: childEnv() }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Every file and folder under `root` whose mode is not private (0600 files, 0700 folders). */
async function notPrivate(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const mode = (await stat(path)).mode & 0o777;
      const want = entry.isDirectory() ? 0o700 : 0o600;
      if (mode !== want) found.push(`${relative(root, path)} ${mode.toString(8)}`);
      if (entry.isDirectory()) await walk(path);
    }
  };
  const top = (await stat(root)).mode & 0o777;
  if (top !== 0o700) found.push(`. ${top.toString(8)}`);
  await walk(root);
  return found;
}

describe('whatever the umask', () => {
  it('init, the schedule verbs, the mailbox verbs and a run create files 0600 and folders 0700', async () => {
    const box = await makeSandbox(SCHEDULE);
    const plan = join(box.root, 'made');
    const node = process.execPath;
    const lines = [
      `${node} ${WORKFLOW_BIN} init ${plan} --template ${join(box.planspace, 'schedule.md')}`,
      `${node} ${WORKFLOW_BIN} next ${plan}`,
      `${node} ${WORKFLOW_BIN} fail ${plan} 1`,
      `${node} ${WORKFLOW_BIN} retry ${plan} 1`,
      `${node} ${MAILBOX_BIN} register ${plan} bob 1`,
      `${node} ${MAILBOX_BIN} send ${plan} bob hello`,
      `${node} ${MAILBOX_BIN} recv ${plan} bob 5`,
      `${node} ${MAILBOX_BIN} send ${plan} carol hello`,
      `${node} ${WORKFLOW_BIN} run ${plan} ${box.sources.join(' ')}`,
    ];
    for (const line of lines) {
      const result = await runShell(`umask 000; ${line}`, box.codespace);
      expect(result.stderr, line).toBe('');
      expect(result.code, line).toBe(0);
    }
    expect(await notPrivate(plan)).toEqual([]);
  });
});

describe('a schedule rewritten by a verb', () => {
  it('is 0600 after `workflow done` under umask 000, whatever mode the file had before', async () => {
    const box = await makeSandbox('# Schedule: perms\n\n[run] 1. first | m -- do it\n');
    const schedule = join(box.planspace, 'schedule.md');
    await chmod(schedule, 0o644);
    const result = await runShell(
      `umask 000; ${process.execPath} ${WORKFLOW_BIN} done ${box.planspace} 1`,
      box.codespace,
    );
    expect(result).toEqual({ code: 0, stdout: 'Marked done: [done] 1. first | m -- do it\n', stderr: '' });
    expect(((await stat(schedule)).mode & 0o777).toString(8)).toBe('600');
  });

  it("is 0600, not its target's 0644, after `workflow run` rewrote it in place of a link", async () => {
    const box = await makeSandbox('');
    const schedule = join(box.planspace, 'schedule.md');
    const elsewhere = join(box.root, 'elsewhere.md');
    await writeFile(elsewhere, SCHEDULE, { mode: 0o644 });
    await chmod(elsewhere, 0o644);
    await rm(schedule);
    await symlink(elsewhere, schedule);
    const result = await runShell(
      `umask 000; ${process.execPath} ${WORKFLOW_BIN} run ${box.planspace} ${box.sources.join(' ')}`,
      box.codespace,
    );
    expect(result.code, result.stderr).toBe(0);
    expect((await lstat(schedule)).isSymbolicLink()).toBe(false);
    expect(((await stat(schedule)).mode & 0o777).toString(8)).toBe('600');
    expect(await readFile(elsewhere, 'utf8')).toBe(SCHEDULE);
  });
});
