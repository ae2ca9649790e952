import { mailboxPaths } from './paths.js';
import { MailboxReader } from './reader.js';

/**
 * Counts the messages waiting in a mailbox: delivered and not yet claimed, plus claims left by
 * receivers that died (they will be delivered again). Reads without claiming anything.
 *
 * @throws {UsageError} for a bad mailbox name, before any file is touched.
 */
export function countPending(planspace: string, name: string): Promise<number> {
  const reader = new MailboxReader(mailboxPaths(planspace, name));
  reader.refresh();
  return Promise.resolve(reader.pending());
}
