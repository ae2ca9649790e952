import { assertMailboxFolders } from './folders.js';
import { mailboxPaths } from './paths.js';
import { MailboxReader } from './reader.js';

/**
 * Counts the messages waiting in a mailbox: delivered and not yet claimed, plus claims left by
 * receivers that died (they will be delivered again). Reads without claiming anything.
 *
 * @throws {UsageError} for a bad mailbox name, before any file is touched.
 * @throws {UnsafePathError} as `assertMailboxFolders`.
 */
export function countPending(planspace: string, name: string): Promise<number> {
  const paths = mailboxPaths(planspace, name);
  assertMailboxFolders(paths);
  const reader = new MailboxReader(paths);
  reader.refresh();
  return Promise.resolve(reader.pending());
}
