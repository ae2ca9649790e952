import { setTimeout as sleep } from 'node:timers/promises';
import { isErrno, LockError } from '../errors.js';

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
  const options = {
    realpath: false,
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
      release = lockfile.lockSync(path, options);
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
