import { listDir, orphanedClaims, readCursor } from './claim.js';
import { readJournal } from './journal.js';
import { mailboxPaths } from './paths.js';

/**
 * Counts the messages waiting in a mailbox: delivered and not yet claimed, plus claims left by
 * receivers that died (they will be delivered again). Reads without claiming anything.
 */
export function countPending(planspace: string, name: string): Promise<number> {
  const paths = mailboxPaths(planspace, name);
  // messages/ may hold a file whose sender died before its journal record: not delivered.
  const waiting = new Set(listDir(paths.messages));
  const { ids } = readJournal(paths.journal, readCursor(paths), Number.MAX_SAFE_INTEGER);
  const delivered = ids.filter((id) => waiting.has(id)).length;
  return Promise.resolve(delivered + orphanedClaims(paths).length);
}
