/**
 * Fixture programs from `test/fixtures/bin/` run as child processes for the fault tests, each
 * killed when its test ends, also when the test fails.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';
import { childEnv, ROOT } from '../helpers.js';

/** How a worker ended. */
export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** A fixture program running as a child process, its standard output collected by line. */
export interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Lines printed after the ready line. */
  readonly lines: string[];
  /** Resolves when the worker has printed its ready line; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** Resolves when the worker has exited and its output is closed. */
  readonly exited: Promise<WorkerExit>;
  /** True once the worker has printed its ready line. */
  readonly isReady: () => boolean;
  /** True once the worker has exited. */
  readonly hasExited: () => boolean;
}

const running = new Set<ChildProcessWithoutNullStreams>();

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/**
 * Starts `test/fixtures/bin/<script>` with `args`.
 *
 * @param readyLine - the line the worker prints once it is set up (not kept in `lines`).
 * @param env - variables added to the test's environment (without the mailbox variables).
 */
export function startWorker(
  script: string,
  args: readonly string[],
  readyLine: string,
  env: Readonly<Record<string, string>> = {},
): Worker {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'fixtures', 'bin', script), ...args], {
    env: childEnv(env),
  });
  if (child.pid === undefined) throw new Error(`${script} did not start`);
  running.add(child);
  const lines: string[] = [];
  let stderr = '';
  let ended = false;
  let isReady = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<WorkerExit>((resolve) => {
    child.on('close', (code, signal) => {
      ended = true;
      running.delete(child);
      resolve({ code, signal, stderr });
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === readyLine) {
        isReady = true;
        resolve();
      } else lines.push(line);
    });
    void exited.then(({ code, signal }) => {
      reject(new Error(`${script} exited (${String(code ?? signal)}) before it was ready: ${stderr}`));
    });
  });
  // A worker that dies before it is ready is reported by whoever awaits `ready`, if anyone.
  ready.catch(() => undefined);
  return { child, pid: child.pid, lines, ready, exited, isReady: () => isReady, hasExited: () => ended };
}

/** SIGKILLs a worker and waits until it is gone. */
export async function killWorker(worker: Worker): Promise<WorkerExit> {
  worker.child.kill('SIGKILL');
  return worker.exited;
}
