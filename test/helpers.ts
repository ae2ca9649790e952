/**
 * Test helpers: temporary planspaces built from object literals, and the real CLI run as a
 * child process.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WORKFLOW_BIN = join(ROOT, 'bin', 'workflow.js');
export const MAILBOX_BIN = join(ROOT, 'bin', 'mailbox.js');
export const SKILL = resolve(ROOT, '..', 'shared', 'fixtures', 'agent-implementation-skill');

/** Folders made by `makeTree` in this test file's worker, removed when the file's tests end. */
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Creates a temporary folder holding `files` (path relative to the folder -> content). */
export async function makeTree(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'planspace-test-'));
  made.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** Creates a planspace whose `schedule.md` is `schedule`. */
export function makePlanspace(schedule: string | Uint8Array): Promise<string> {
  return makeTree({ 'schedule.md': schedule });
}

/** The result of running the CLI. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bin/workflow.js` with `args` as a real process. */
export function runWorkflow(args: readonly string[], options: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [WORKFLOW_BIN, ...args], { cwd: options.cwd ?? ROOT }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The result of running the `mailbox` CLI: standard output also as bytes, and the signal that ended it. */
export interface MailboxResult extends RunResult {
  /** Standard output byte for byte: message bodies may be any bytes. */
  readonly bytes: Buffer;
  /** The signal that killed the process, or null if it exited. `code` is -1 then. */
  readonly signal: NodeJS.Signals | null;
}

/** Options of `runMailbox`. */
export interface MailboxRunOptions {
  /** Written to standard input, which is then closed. Default: empty. */
  readonly input?: Uint8Array | string;
  /** Variables added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Run `workflow mailbox <args>` instead of `mailbox <args>`. */
  readonly program?: 'mailbox' | 'workflow';
}

/** Variables the mailbox reads; the test runner's own values must not leak into a test. */
const MAILBOX_ENV = new Set(['WORKFLOW_AGENT', 'WORKFLOW_RUN_ID', 'PLANSPACE_FAULT']);

/** The environment for a child process: the test's, without the mailbox variables, plus `extra`. */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([key]) => !MAILBOX_ENV.has(key));
  return { ...Object.fromEntries(inherited), ...extra };
}

/** Runs `bin/mailbox.js` (or `bin/workflow.js mailbox`) with `args` as a real process. */
export function runMailbox(args: readonly string[], options: MailboxRunOptions = {}): Promise<MailboxResult> {
  const argv = options.program === 'workflow' ? [WORKFLOW_BIN, 'mailbox', ...args] : [MAILBOX_BIN, ...args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env: childEnv(options.env) });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A process may exit without reading its input (a refused name): the pipe is closed then.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.input ?? '');
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(stdout);
      resolvePromise({
        code: code ?? -1,
        signal,
        bytes,
        stdout: bytes.toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** SHA-256 of a file's bytes, to show a file was left exactly as it was. */
export async function hashFile(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Reads a real schedule template of the fixture skill. */
export function readTemplate(name: string): Promise<string> {
  return readFile(join(SKILL, 'templates', name), 'utf8');
}
