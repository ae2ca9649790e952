/**
 * Standard output closed by its reader (`workflow --help | head -0`, a `mailbox recv` whose
 * reader went away): the command exits quietly, with no stack trace, and a message it could
 * not write stays in the mailbox for the next `recv`.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childEnv, MAILBOX_BIN, makePlanspace, ROOT, runMailbox, WORKFLOW_BIN } from '../helpers.js';

/** What a command with a closed stdout did. */
interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/**
 * Runs `bin` with `args` and a standard output pipe whose read end this process closes before
 * the command can write, as `| head -0` does.
 */
function runIntoClosedPipe(bin: string, args: readonly string[]): Promise<Ended> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

describe('a closed standard output (EPIPE)', () => {
  it.each([
    ['workflow --help', WORKFLOW_BIN, ['--help'], 0],
    ['workflow next --help', WORKFLOW_BIN, ['next', '--help'], 0],
    ['mailbox --help', MAILBOX_BIN, ['--help'], 0],
  ])('%s exits 0 without a word', async (_, bin, args, code) => {
    expect(await runIntoClosedPipe(bin, args)).toEqual({ code, signal: null, stderr: '' });
  });

  it("workflow status exits with the verb's own code, quietly", async () => {
    const plan = await makePlanspace('[wait] 1. a | m -- first\n');
    expect(await runIntoClosedPipe(WORKFLOW_BIN, ['status', plan])).toEqual({ code: 0, signal: null, stderr: '' });
  });

  it.each([
    ['recv', ['recv'], ['5']],
    ['drain', ['drain'], []],
  ])('mailbox %s: the messages it could not print stay in the mailbox', async (_, verb, after) => {
    const plan = await makePlanspace('[wait] 1. a | m -- first\n');
    expect(await runMailbox(['send', plan, 'bob', 'first message'])).toMatchObject({ code: 0 });
    expect(await runMailbox(['send', plan, 'bob', 'second message'])).toMatchObject({ code: 0 });

    const ended = await runIntoClosedPipe(MAILBOX_BIN, [verb[0] ?? '', plan, 'bob', ...after]);
    expect(ended).toMatchObject({ code: 2, signal: null });
    // One line that says what happened, not a stack trace.
    expect(ended.stderr).toMatch(/^could not write to standard output \(EPIPE[^\n]*\n$/);

    expect(await runMailbox(['check', plan, 'bob'])).toMatchObject({ code: 0, stdout: '2\n' });
    expect(await runMailbox(['recv', plan, 'bob', '5'])).toMatchObject({ code: 0, stdout: 'first message\n' });
    expect(await runMailbox(['recv', plan, 'bob', '5'])).toMatchObject({ code: 0, stdout: 'second message\n' });
  });
});
