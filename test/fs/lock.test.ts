/**
 * The schedule lock (`src/fs/lock.ts`) between real processes: a stale lock is taken over by
 * one process at a time (two that removed it in turn both held it, and lost an update), and
 * the lock folder is private whatever the umask.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LOCK_STALE_MS } from '../../src/index.js';
import { childEnv, makePlanspace, makeTree, ROOT, runWorkflow } from '../helpers.js';

/** A lock folder left by a holder that died long ago. */
async function plantStaleLock(lock: string): Promise<void> {
  await mkdir(lock);
  const old = new Date(Date.now() - LOCK_STALE_MS - 60_000);
  await utimes(lock, old, old);
}

describe('a stale lock that another process is taking over', () => {
  it('is left to that process: a verb waits for it rather than removing the lock it takes', async () => {
    const text = '# Schedule: x\n\n[run] 1. a | m -- one\n';
    const plan = await makePlanspace(text);
    const schedule = join(plan, 'schedule.md');
    await plantStaleLock(`${schedule}.lock`);
    // Another process has found the lock stale and is between its look and its removal; a
    // verb that removed the lock now could remove the new lock that process makes next.
    await mkdir(`${schedule}.lock.takeover`);
    const verb = runWorkflow(['done', plan, '1']);
    let finished = false;
    void verb.then(() => {
      finished = true;
    });
    await sleep(1500);
    expect(finished).toBe(false);
    expect(await readFile(schedule, 'utf8')).toBe(text);
    // That process removes the stale lock and is done: the verb now takes the lock.
    await rmdir(`${schedule}.lock`);
    await rmdir(`${schedule}.lock.takeover`);
    expect(await verb).toEqual({ code: 0, stdout: 'Marked done: [done] 1. a | m -- one\n', stderr: '' });
    expect(await readdir(plan)).toEqual(['schedule.md']);
  }, 30_000);

  it('left behind by a process killed during its takeover is itself taken over once stale', async () => {
    const plan = await makePlanspace('# Schedule: x\n\n[run] 1. a | m -- one\n');
    const schedule = join(plan, 'schedule.md');
    await plantStaleLock(`${schedule}.lock`);
    await plantStaleLock(`${schedule}.lock.takeover`);
    expect(await runWorkflow(['done', plan, '1'])).toEqual({
      code: 0,
      stdout: 'Marked done: [done] 1. a | m -- one\n',
      stderr: '',
    });
    expect(await readdir(plan)).toEqual(['schedule.md']);
  }, 30_000);
});

describe('the lock folder', () => {
  it('is 0700 while held, under umask 000', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: x\n' });
    await writeFile(join(plan, 'schedule.md'), '# Schedule: x\n');
    const holder = join(ROOT, 'test', 'fixtures', 'bin', 'lock-holder.js');
    const child = spawn('sh', ['-c', `umask 000; exec "${process.execPath}" "${holder}" "${plan}"`], {
      env: childEnv(),
    });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    const locked = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line === 'locked') resolve();
      });
      child.on('close', (code) => {
        reject(new Error(`lock-holder exited (${String(code)}) before it held the lock`));
      });
    });
    await locked;
    expect(((await stat(join(plan, 'schedule.md.lock'))).mode & 0o777).toString(8)).toBe('700');
  });
});
