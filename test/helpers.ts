/**
 * Test helpers: temporary planspaces built from object literals, and the real CLI run as a
 * child process.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WORKFLOW_BIN = join(ROOT, 'bin', 'workflow.js');
export const SKILL = resolve(ROOT, '..', 'shared', 'fixtures', 'agent-implementation-skill');

/** Creates a temporary folder holding `files` (path relative to the folder -> content). */
export async function makeTree(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'planspace-test-'));
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
