import { readdir, readFile } from 'node:fs/promises';
import { isErrno } from '../errors.js';
import { readJournal } from './journal.js';
import { isProcessAlive } from './liveness.js';
import { mailboxPaths } from './paths.js';

/**
 * Counts the messages waiting in a mailbox: delivered and not yet claimed, plus claims left by
 * receivers that died (they will be delivered again). Reads without claiming anything.
 */
export async function countPending(planspace: string, name: string): Promise<number> {
  const paths = mailboxPaths(planspace, name);
  const list = async (dir: string): Promise<string[]> =>
    readdir(dir).catch((error: unknown) => {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    });
  // messages/ may hold a file whose sender died before its journal record: not delivered.
  const waiting = new Set(await list(paths.messages));
  let cursor = 0;
  try {
    cursor = Number(await readFile(paths.cursor, 'utf8')) || 0;
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  const { ids } = readJournal(paths.journal, cursor, Number.MAX_SAFE_INTEGER);
  const delivered = ids.filter((id) => waiting.has(id)).length;
  const orphaned = (await list(paths.claimed)).filter((file) => {
    const pid = Number(file.slice(file.lastIndexOf('@') + 1));
    return !isProcessAlive(pid);
  }).length;
  return delivered + orphaned;
}
