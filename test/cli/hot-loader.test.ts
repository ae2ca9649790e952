/**
 * `bin/workflow.js` runs the schedule verbs from `dist/bin/hot.cjs` and `workflow run` from
 * `dist/bin/run.cjs`, each compiled with the V8 code cache the build made for it: the caches
 * are ones V8 accepts, and without them (a build that could not make one) every verb works
 * just the same.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlanspace, ROOT, runWorkflow, type RunResult } from '../helpers.js';

const SCHEDULE = '# Schedule: t\n\n[done] 1. one | m -- first\n[wait] 2. two | m -- second\n';

/** Runs `bin/workflow.js` of the package copy at `root`. */
function runCopy(root: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [join(root, 'bin', 'workflow.js'), ...args], (error, stdout, stderr) => {
      resolvePromise({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('the start-up bundles and their code caches', () => {
  it.each(['hot', 'run'])('the build made a code cache that V8 accepts for %s.cjs', (name) => {
    const script = `require('./bin/hot-loader.js').loadBundle('${name}').script`;
    const rejected = execFileSync(
      process.execPath,
      ['-e', `const s = ${script}; process.stdout.write(String(s.cachedDataRejected))`],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(rejected).toBe('false');
  });

  it('without the code cache, next, done, status and a commander verb work just the same', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'planspace-nocache-'));
    try {
      await cp(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
      await cp(join(ROOT, 'dist', 'bin'), join(copy, 'dist', 'bin'), { recursive: true });
      await cp(join(ROOT, 'package.json'), join(copy, 'package.json'));
      for (const name of ['hot', 'run']) await rm(join(copy, 'dist', 'bin', `${name}.cjs.cache`));
      const [withCache, without] = [await makePlanspace(SCHEDULE), await makePlanspace(SCHEDULE)];
      for (const args of [['next'], ['done'], ['status', '--json']]) {
        const expected = await runWorkflow([args[0] ?? '', withCache, ...args.slice(1)]);
        expect(await runCopy(copy, [args[0] ?? '', without, ...args.slice(1)])).toEqual(expected);
      }
      expect(await readFile(join(without, 'schedule.md'), 'utf8')).toBe(
        await readFile(join(withCache, 'schedule.md'), 'utf8'),
      );
      expect(await runCopy(copy, ['--version'])).toEqual(await runWorkflow(['--version']));
      // A run: its usage error, as the whole CLI gives it.
      expect(await runCopy(copy, ['run', '--concurrency', '0', without])).toEqual(
        await runWorkflow(['run', '--concurrency', '0', withCache]).then((r) => ({
          ...r,
          stderr: r.stderr.replaceAll(withCache, without),
        })),
      );
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
