import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrno, LockError } from '../errors.js';
import { FOLDER_MODE } from './guard.js';

/**
 * How long (ms) a lock may go without its holder refreshing it before another process
 * treats the holder as dead and takes it over. proper-lockfile's minimum is 2000.
 */
export const LOCK_STALE_MS = 3000;

/**
 * Retries while another process holds the lock: many short randomised waits (2 ms growing to
 * 25 ms; 400 of them wait about 10 s, more than three times the stale window), rather than the
 * library's default of failing at once.
 */
const RETRIES = 400;

/** The wait (ms) before retry `attempt` (0-based): exponential from 2 ms, capped at 25 ms. */
function retryDelay(attempt: number): number {
  return Math.min(25, Math.round((1 + Math.random()) * 2 * 1.3 ** attempt));
}

/** proper-lockfile's answer for a lock another process holds; our loop waits and retries. */
function lockedError(path: string): Error {
  return Object.assign(new Error(`Lock file is already being held: ${path}`), { code: 'ELOCKED' });
}

/**
 * Removes the stale lock folder `lock` (its holder stopped refreshing it), under a second
 * folder `<lock>.takeover` that only one process at a time can make.
 *
 * Why: proper-lockfile alone does `stat` (stale?) then `rmdir` then `mkdir`. Two processes that
 * both found the same dead lock stale could interleave as A stat, B stat, A rmdir, A mkdir (A
 * holds it), B rmdir (A's fresh lock!), B mkdir: both then held the lock and one update was
 * lost, or A's next call on its lock failed with ENOENT. Under the takeover folder the lock is
 * looked at again, and removed only if it is still stale; whoever makes the new lock after that
 * does so with an atomic `mkdir`, which only one process wins.
 *
 * A takeover folder is left behind only by a process killed between two system calls; one
 * older than the stale window is removed (the next attempt then takes over).
 *
 * @throws an `ELOCKED` error if another process is taking over, or the lock is no longer stale
 *   (taken over meanwhile); the `fs` error otherwise.
 */
function removeStaleLock(lock: string): void {
  const takeover = `${lock}.takeover`;
  try {
    fs.mkdirSync(takeover, FOLDER_MODE);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    const stats = fs.statSync(takeover, { throwIfNoEntry: false });
    if (stats !== undefined && stats.mtimeMs < Date.now() - LOCK_STALE_MS)
      fs.rmSync(takeover, { recursive: true, force: true });
    throw lockedError(lock);
  }
  try {
    const stats = fs.statSync(lock, { throwIfNoEntry: false });
    // Gone: whoever took it over has released it; proper-lockfile's mkdir comes next.
    if (stats === undefined) return;
    if (stats.mtimeMs >= Date.now() - LOCK_STALE_MS) throw lockedError(lock);
    fs.rmdirSync(lock);
  } finally {
    fs.rmdirSync(takeover);
  }
}

/**
 * The file-system calls proper-lockfile makes for one lock, changed in two ways: the lock folder
 * is made 0700 whatever the umask (it was 0777 under umask 000), and a stale lock is removed only
 * through `removeStaleLock`. proper-lockfile's sync API calls `mkdirSync` and `rmdirSync`, and
 * calls `rmdirSync` on the lock folder while taking it only to remove a stale lock (or its own,
 * just made, if it cannot set its time: `made`).
 */
function lockFs(lock: string): { fs: typeof fs; acquiring: (on: boolean) => void } {
  let acquiring = false;
  let made = false;
  const calls: typeof fs = {
    ...fs,
    mkdirSync: (path: fs.PathLike) => {
      fs.mkdirSync(path, FOLDER_MODE);
      // mkdir's mode is less the umask; an umask that takes the owner's bits is still overridden.
      fs.chmodSync(path, FOLDER_MODE);
      if (path === lock) made = true;
      return undefined;
    },
    rmdirSync: (path: fs.PathLike, options?: fs.RmDirOptions) => {
      if (acquiring && !made && path === lock) removeStaleLock(lock);
      else fs.rmdirSync(path, options);
    },
  };
  return {
    fs: calls,
    acquiring: (on) => {
      acquiring = on;
      made = false;
    },
  };
}

/**
 * Runs `critical` while holding the inter-process lock on `path` (a `<path>.lock` folder,
 * proper-lockfile's protocol, so any process using the same protocol is excluded too).
 * The file itself need not exist.
 *
 * @param path - the file to lock.
 * @param critical - the work to do under the lock; receives `assertHeld`, which throws if the
 *   lock was lost (taken over as stale) so that the caller can refuse to write.
 * @returns what `critical` returns; the lock is released in every outcome.
 * @throws {LockError} if another process holds the lock through every retry (about 10 s), at
 *   once if it cannot be taken for another reason (a read-only or full file system), or if it
 *   is lost while held; otherwise whatever `critical` throws.
 */
export async function withFileLock<T>(path: string, critical: (assertHeld: () => void) => Promise<T>): Promise<T> {
  let compromised: Error | undefined;
  let release: () => void;
  // Loaded on first use: read-only verbs never pay for it (about 7 ms of start-up).
  const { default: lockfile } = await import('proper-lockfile');
  // proper-lockfile's own name for the lock folder (with `realpath: false`).
  const calls = lockFs(`${resolve(path)}.lock`);
  const options = {
    realpath: false,
    fs: calls.fs,
    stale: LOCK_STALE_MS,
    onCompromised: (error: Error) => {
      compromised = error;
    },
  };
  for (let attempt = 0; ; attempt += 1) {
    try {
      // Synchronous (our own retries wait between attempts): taking and releasing the lock
      // are a few small calls each, and three thread-pool round trips cost more than them
      // (1-2 ms each while the pool is busy, as when a run starts).
      calls.acquiring(true);
      try {
        release = lockfile.lockSync(path, options);
      } finally {
        calls.acquiring(false);
      }
      break;
    } catch (error) {
      // Only a lock held by another process is worth waiting for. proper-lockfile's own retries
      // also retry EROFS, ENOSPC or EACCES, which do not go away: a read-only planspace took
      // 10 s to report.
      if (!isErrno(error, 'ELOCKED') || attempt >= RETRIES) {
        throw new LockError(path, `could not take the lock: ${(error as Error).message}`, { cause: error });
      }
      await sleep(retryDelay(attempt));
    }
  }
  const assertHeld = (): void => {
    if (compromised)
      throw new LockError(path, 'the lock was lost while held; nothing was written', { cause: compromised });
  };
  try {
    return await critical(assertHeld);
  } finally {
    if (!compromised) release();
  }
}
