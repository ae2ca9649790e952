/**
 * A full disk and a read-only planspace, on real mounts: a small tmpfs filled up (ENOSPC) and
 * a tmpfs remounted read-only (EROFS). Tests run as root, for whom permission bits do not stop
 * a write, so only a mount can. Every verb that writes must fail with exit 2 and a one-line
 * reason that names the file (not a stack trace), and leave every file of the mount byte for
 * byte as it was, with no temporary or half-written file added. Each verb's time is printed,
 * not asserted: the schedule verbs used to retry EROFS for 10 s before reporting it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isErrno } from '../../src/index.js';
import { hashFile, makeTree, runMailbox, runWorkflow, type RunResult } from '../helpers.js';
import { mountProblem, mountTmpfs } from './mount.js';

const cannotMount = await mountProblem();

/** Every file and folder under `root`: folders as `dir`, files as the SHA-256 of their bytes. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    entries[relative(root, path)] = entry.isDirectory() ? 'dir' : await hashFile(path);
  }
  return entries;
}

const SCHEDULE = `# Schedule: disk faults

Prose that stays as it is.

[run] 1. build | echo -- make the change
[fail] 2. test | echo -- run the tests
[wait] 3. report | echo -- summarise
`;

/** Planspaces on `mount` for every verb to try, and run's sources elsewhere. */
async function populate(mount: string): Promise<{ calls: [string, () => Promise<RunResult>][] }> {
  const plan = join(mount, 'plan');
  const fresh = join(mount, 'plan-next');
  const runnable = join(mount, 'plan-run');
  for (const [dir, schedule] of [
    [plan, SCHEDULE],
    [fresh, SCHEDULE.replaceAll(/^\[\w+\]/gm, '[wait]')],
    [runnable, SCHEDULE.replaceAll(/^\[\w+\]/gm, '[wait]')],
  ] as const) {
    await mkdir(dir);
    await writeFile(join(dir, 'schedule.md'), schedule);
    await writeFile(join(dir, 'state.md'), '# State\n\n## Position\n\nNot started.\n');
    await writeFile(join(dir, 'log.md'), '# Log\n\n');
  }
  // A mailbox with a message waiting and a registered agent.
  expect(await runMailbox(['send', plan, 'hub', 'first'])).toMatchObject({ code: 0 });
  expect(await runMailbox(['register', plan, 'hub', String(process.pid)])).toMatchObject({ code: 0 });
  const sources = await makeTree({
    'models/echo.toml': 'command = "true"\n',
    'agents/exception-handler.md': '---\nmodel: echo\n---\nHandle the failure.\n',
    'code/README.md': 'the codespace\n',
  });
  const calls: [string, () => Promise<RunResult>][] = [
    ['next', () => runWorkflow(['next', fresh])],
    ['done', () => runWorkflow(['done', plan, '1'])],
    ['fail', () => runWorkflow(['fail', plan, '1'])],
    ['skip', () => runWorkflow(['skip', plan, '1'])],
    ['retry', () => runWorkflow(['retry', plan, '2'])],
    [
      'init',
      () =>
        runWorkflow(['init', join(mount, 'new-plan'), '--template', 'feature', '--set', 'name=x', '--set', 'goal=y']),
    ],
    ['mailbox send', () => runMailbox(['send', plan, 'hub', 'second'])],
    ['mailbox send (over 64 KiB)', () => runMailbox(['send', plan, 'hub'], { input: Buffer.alloc(100_000, 'x') })],
    ['mailbox register', () => runMailbox(['register', plan, 'hub', '1'])],
    [
      'run',
      () =>
        runWorkflow([
          'run',
          runnable,
          '--models',
          join(sources, 'models'),
          '--agents',
          join(sources, 'agents'),
          '--codespace',
          join(sources, 'code'),
        ]),
    ],
  ];
  return { calls };
}

/** What a user checks of a failed verb; `stderr` is kept whole to show it when a check fails. */
interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly oneLine: boolean;
  readonly errno: boolean;
  readonly namesFile: boolean;
  readonly stderr: string;
}

/**
 * Runs every call and checks the outcome a user would check: exit 2, nothing on stdout, one
 * line on stderr with the errno and a path on the mount, and the mount exactly as it was.
 */
async function expectCleanFailures(mount: string, calls: [string, () => Promise<RunResult>][], errno: string) {
  const before = await snapshot(mount);
  const outcomes: Record<string, Outcome> = {};
  const expected: Record<string, Outcome> = {};
  const lines: string[] = [];
  for (const [verb, call] of calls) {
    const started = performance.now();
    const { code, stdout, stderr } = await call();
    const ms = Math.round(performance.now() - started);
    lines.push(`  ${verb}: exit ${code} in ${ms} ms: ${stderr.trimEnd().replaceAll('\n', '\\n')}`);
    const oneLine = /^[^\n]+\n$/.test(stderr);
    outcomes[verb] = {
      code,
      stdout,
      oneLine,
      errno: stderr.includes(errno),
      namesFile: stderr.includes(mount),
      stderr,
    };
    expected[verb] = { code: 2, stdout: '', oneLine: true, errno: true, namesFile: true, stderr };
  }
  console.log(`disk faults (${errno}):\n${lines.join('\n')}`);
  // Soft, and one comparison for all verbs: a failure shows every outcome and the files too.
  expect.soft(outcomes).toEqual(expected);
  expect(await snapshot(mount)).toEqual(before);
}

describe(cannotMount === undefined ? 'disk faults' : `disk faults (skipped: ${cannotMount})`, () => {
  it.skipIf(cannotMount !== undefined)(
    'a read-only planspace: every writing verb fails with EROFS naming the file, and no file changes',
    async () => {
      const mount = await mountTmpfs(1024);
      const { calls } = await populate(mount);
      execFileSync('mount', ['-o', 'remount,ro', mount], { stdio: 'pipe' });
      await expectCleanFailures(mount, calls, 'EROFS');
    },
    90_000,
  );

  it.skipIf(cannotMount !== undefined)(
    'a full disk: every writing verb fails with ENOSPC naming the file, and leaves no half-written file',
    async () => {
      const mount = await mountTmpfs(1024);
      const { calls } = await populate(mount);
      // Fill what is left: the next write of a new file gets ENOSPC.
      await writeFile(join(mount, 'filler'), Buffer.alloc(2 * 1024 * 1024)).catch((error: unknown) => {
        if (!isErrno(error, 'ENOSPC')) throw error;
      });
      await expectCleanFailures(mount, calls, 'ENOSPC');
    },
    90_000,
  );
});
