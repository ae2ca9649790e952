/**
 * The identity of this process in mailboxes: the name of its data file and the owner of its
 * claims. `<pid base 36>.<6 random base-36 characters>` (at most 12 characters): the random
 * part tells apart two processes that had the same pid at different times.
 */
import { randomInt } from 'node:crypto';

/** This process's key, fixed for its lifetime. */
export const PROCESS_KEY = `${process.pid.toString(36)}.${randomInt(36 ** 6)
  .toString(36)
  .padStart(6, '0')}`;

/** The pid of the process with this key, or NaN for a malformed key. */
export function pidOfKey(key: string): number {
  const pid = key.slice(0, key.indexOf('.'));
  return /^[0-9a-z]+$/.test(pid) ? parseInt(pid, 36) : Number.NaN;
}
