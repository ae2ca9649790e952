import { LockError } from '../errors.js';

/**
 * How long (ms) a lock may go without its holder refreshing it before another process
 * treats the holder as dead and takes it over. proper-lockfile's minimum is 2000.
 */
export const LOCK_STALE_MS = 3000;

/**
 * Retries while another process holds the lock: many short randomised waits (2 to 25 ms, up
 * to 50 ms randomised; 400 of them wait 6 s or more, twice the stale window), rather than the
 * library's default of failing at once. The retry package builds the whole list of waits for
 * every lock taken, so the count is kept no larger than it needs to be.
 */
const RETRIES = { retries: 400, factor: 1.3, minTimeout: 2, maxTimeout: 25, randomize: true };

/**
 * Runs `critical` while holding the inter-process lock on `path` (a `<path>.lock` folder,
 * proper-lockfile's protocol, so any process using the same protocol is excluded too).
 * The file itself need not exist.
 *
 * @param path - the file to lock.
 * @param critical - the work to do under the lock; receives `assertHeld`, which throws if the
 *   lock was lost (taken over as stale) so that the caller can refuse to write.
 * @returns what `critical` returns; the lock is released in every outcome.
 * @throws {LockError} if the lock cannot be taken within the retries (6 s or more) or is
 *   lost while held; otherwise whatever `critical` throws.
 */
export async function withFileLock<T>(path: string, critical: (assertHeld: () => void) => Promise<T>): Promise<T> {
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  // Loaded on first use: read-only verbs never pay for it (about 7 ms of start-up).
  const { default: lockfile } = await import('proper-lockfile');
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: RETRIES,
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    throw new LockError(path, `could not take the lock: ${(error as Error).message}`, { cause: error });
  }
  const assertHeld = (): void => {
    if (compromised)
      throw new LockError(path, 'the lock was lost while held; nothing was written', { cause: compromised });
  };
  try {
    return await critical(assertHeld);
  } finally {
    if (!compromised) await release();
  }
}
