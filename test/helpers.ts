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
/** The tests' own small skill (see its README.md): skill files, `templates/` and `agents/`. */
export const SKILL = join(ROOT, 'test', 'fixtures', 'skill');

/**
 * The public agent-implementation skill's folder, from `PLANSPACE_REAL_SKILL`, or undefined
 * when that variable is unset or empty. Tests of the real skill run only when it is set
 * (`.ci/run` sets it when the folder is there); see `realSkillSuite`.
 */
export const REAL_SKILL = process.env.PLANSPACE_REAL_SKILL || undefined;

/**
 * The title of a suite that reads the public skill: `title` itself when `PLANSPACE_REAL_SKILL`
 * is set, else `title` with the reason it is skipped, which `describe.skipIf(!REAL_SKILL)`
 * then shows.
 */
export function realSkillSuite(title: string): string {
  return REAL_SKILL === undefined
    ? `${title} (skipped: set PLANSPACE_REAL_SKILL to the agent-implementation-skill folder to run it)`
    : `${title} (PLANSPACE_REAL_SKILL=${REAL_SKILL})`;
}

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

/** The records of a JSON-lines file, each line parsed on its own; a missing file has none. */
export async function readJsonLines<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  });
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
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

/**
 * Runs `bin/workflow.js` with `args` as a real process. `input`, when given, is written to its
 * standard input, which is then closed; otherwise standard input is a pipe left open.
 */
export function runWorkflow(
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      process.execPath,
      [WORKFLOW_BIN, ...args],
      { cwd: options.cwd ?? ROOT },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
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

/**
 * Variables the mailbox reads, and those that decide whether `workflow run` colours its lines;
 * the test runner's own values must not leak into a test.
 */
const TEST_OWN_ENV = new Set([
  'WORKFLOW_AGENT',
  'WORKFLOW_RUN_ID',
  'WORKFLOW_STEP',
  'WORKFLOW_MAX_STEPS',
  'WORKFLOW_MAX_ADDED',
  'PLANSPACE_FAULT',
  'NO_COLOR',
  'FORCE_COLOR',
]);

/** The environment for a child process: the test's, without the variables above, plus `extra`. */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([key]) => !TEST_OWN_ENV.has(key));
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

/** Reads schedule template `name` of a skill folder (default: the tests' own skill). */
export function readTemplate(name: string, skill: string = SKILL): Promise<string> {
  return readFile(join(skill, 'templates', name), 'utf8');
}

/**
 * The lines of `text` from the one line that starts with `from` (a heading such as
 * `## Stage 1:`) up to, not including, the one that starts with `to`, ending with a newline:
 * computed from raw lines, independently of the engine's markdown parser.
 *
 * @throws if either line is not found exactly once, or `to` comes before `from`.
 */
export function linesBetween(text: string, from: string, to: string): string {
  const lines = text.split('\n');
  const find = (heading: string): number => {
    const found = lines.flatMap((line, index) => (line.startsWith(heading) ? [index] : []));
    if (found.length !== 1 || found[0] === undefined) {
      throw new Error(`expected one line starting with '${heading}', found ${found.length}`);
    }
    return found[0];
  };
  const start = find(from);
  const end = find(to);
  if (end <= start) throw new Error(`'${to}' comes before '${from}'`);
  return `${lines.slice(start, end).join('\n')}\n`;
}

/**
 * A planspace (`<tmp>/plan`) whose `schedule.md` is `schedule`, with open question q1 (asked by
 * step 1): its run's engine, in `engine.json`, is this test's own live process.
 */
export async function makePlanspaceWithOpenQuestion(schedule: string): Promise<string> {
  const question = {
    id: 'q1',
    kind: 'ask',
    step: 1,
    asker: 'step-1',
    question: 'Which API?',
    askedAt: '2026-01-01T00:00:00.000Z',
    runId: 'rtest-1-1',
  };
  const hold = { pid: process.pid, runId: 'rtest', since: question.askedAt };
  const root = await makeTree({
    'plan/schedule.md': schedule,
    'plan/questions/q1.json': `${JSON.stringify(question)}\n`,
    'plan/engine.json': `${JSON.stringify(hold)}\n`,
  });
  return join(root, 'plan');
}
