/**
 * A sandbox for bad-input tests: a planspace beside everything `workflow run` reads (codespace,
 * model registry, agents folder, skills folder), and a snapshot of the whole tree, so that a
 * test shows that a refused command left every file as it was and created none.
 *
 * ```
 * <root>/plan/      the planspace: schedule.md only, unless the test adds files
 * <root>/code/      the codespace, and the working directory of every command
 * <root>/models/    m.toml: agent-echo.js, which prints what it got and exits 0
 * <root>/agents/    exception-handler.md (model: m)
 * <root>/skills/    guide.md with a `Stage 1` section
 * ```
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { modelToml } from '../engine/setup.js';
import { onTestFinished } from 'vitest';
import { childEnv, makeTree, ROOT, WORKFLOW_BIN, type RunResult } from '../helpers.js';

/** The fake agent of model `m`. */
export const AGENT_ECHO = join(ROOT, 'test', 'fixtures', 'bin', 'agent-echo.js');

/** The folders of one sandbox. */
export interface Sandbox {
  readonly root: string;
  readonly planspace: string;
  readonly codespace: string;
  /** `--codespace`, `--skills`, `--models` and `--agents` for `run` and `check`. */
  readonly sources: readonly string[];
  /** Runs `workflow <args>` with the codespace as its working directory. */
  workflow(args: readonly string[]): Promise<RunResult>;
}

/** The skill file that refs in the corpus point at (`guide.md Stage 1`). */
export const GUIDE = '# Guide\n\n## Stage 1\n\nWrite the plan.\n\n## Stage 2\n\nBuild it.\n';

/**
 * Creates a sandbox whose planspace holds `schedule` as `schedule.md`, plus `extra` files
 * (paths relative to the sandbox root).
 */
export async function makeSandbox(
  schedule: string | Uint8Array,
  extra: Readonly<Record<string, string | Uint8Array>> = {},
): Promise<Sandbox> {
  const root = await makeTree({
    'plan/schedule.md': schedule,
    'code/README.md': 'the codespace\n',
    'models/m.toml': modelToml({ command: AGENT_ECHO }),
    'agents/exception-handler.md': '---\nmodel: m\n---\nYou handle failures.\n',
    'skills/guide.md': GUIDE,
    ...extra,
  });
  const codespace = join(root, 'code');
  const sources = [
    '--codespace',
    codespace,
    '--skills',
    join(root, 'skills'),
    '--models',
    join(root, 'models'),
    '--agents',
    join(root, 'agents'),
  ];
  return {
    root,
    planspace: join(root, 'plan'),
    codespace,
    sources,
    workflow: (args) => runBounded(args, codespace),
  };
}

/** Longest a command may take (ms) before it is stopped as hung: generous, for a loaded machine. */
const HUNG_MS = 45_000;

/**
 * Runs `bin/workflow.js` with `args` in `cwd`. A command still running after `HUNG_MS` gets
 * SIGTERM (a run then stops its agents) and fails the test with code -1; one still alive when
 * the test ends is killed, so that a hang never outlives its test.
 */
export function runBounded(args: readonly string[], cwd: string): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      process.execPath,
      [WORKFLOW_BIN, ...args],
      { cwd, env: childEnv(), timeout: HUNG_MS, killSignal: 'SIGTERM', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  });
}

/**
 * Every file and folder under `root`, by path relative to it: a file maps to the SHA-256 of
 * its bytes, a folder to `dir`. Two equal snapshots mean nothing was changed, created or removed.
 */
export async function snapshot(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        found.set(relative(root, path), 'dir');
        await walk(path);
      } else {
        found.set(
          relative(root, path),
          createHash('sha256')
            .update(await readFile(path))
            .digest('hex'),
        );
      }
    }
  };
  await walk(root);
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

/** Runs `tasks` with at most `limit` at once, keeping their order in the results. */
export async function inPool<T>(limit: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < tasks.length; index = next++) {
      const task = tasks[index];
      if (task) results[index] = await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
