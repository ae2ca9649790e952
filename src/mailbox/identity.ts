/**
 * The identity of this process in mailboxes: the name of its data file and the owner of its
 * claims. `<pid base 36>.<6 random base-36 characters>` (at most 12 characters): the random
 * part tells apart two processes that had the same pid at different times.
 */
import { isProcessAlive } from './liveness.js';

/**
 * This process's key, fixed for its lifetime. The random part only tells processes apart (it
 * guards nothing), so `Math.random` does, which V8 seeds from the system's entropy:
 * `node:crypto` cost every process that loads this module 4-5 ms of start-up, before a run's
 * first agent too (issue 11).
 */
export const PROCESS_KEY = `${process.pid.toString(36)}.${Math.floor(Math.random() * 36 ** 6)
  .toString(36)
  .padStart(6, '0')}`;

/** The pid of the process with this key, or NaN for a malformed key. */
export function pidOfKey(key: string): number {
  const pid = key.slice(0, key.indexOf('.'));
  return /^[0-9a-z]+$/.test(pid) ? parseInt(pid, 36) : Number.NaN;
}

/**
 * A liveness check of claim owners by key, for one look at the claims: this process is alive,
 * and each other pid is asked about once (see `isProcessAlive`).
 */
export function isOwnerAlive(): (owner: string) => boolean {
  const alive = new Map<string, boolean>();
  return (owner) => {
    if (owner === PROCESS_KEY) return true;
    let answer = alive.get(owner);
    if (answer === undefined) {
      answer = isProcessAlive(pidOfKey(owner));
      alive.set(owner, answer);
    }
    return answer;
  };
}
