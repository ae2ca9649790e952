import { mkdir, open, rm } from 'node:fs/promises';
import { planspacePaths } from '../planspace/paths.js';
import { mailboxPaths, type MailboxPaths } from './paths.js';

/**
 * Creates a mailbox's folders (0700: only the owner may read or inject messages) and its
 * empty journal and claims log, if they do not exist yet. Idempotent and safe to race.
 *
 * @param planspace - the planspace folder, which must exist.
 * @throws the `fs` error if the planspace is missing or not writable.
 */
export async function ensureMailbox(planspace: string, paths: MailboxPaths): Promise<void> {
  const mailboxes = planspacePaths(planspace).mailboxes;
  await mkdir(mailboxes, { mode: 0o700 }).catch(ignoreExists);
  await mkdir(paths.dir, { mode: 0o700 }).catch(ignoreExists);
  await mkdir(paths.data, { mode: 0o700 }).catch(ignoreExists);
  await Promise.all([paths.journal, paths.claims].map(async (log) => (await open(log, 'a', 0o600)).close()));
}

function ignoreExists(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
}

/**
 * Removes one mailbox, or every mailbox of the planspace, with all its messages and its
 * registration.
 *
 * @param name - the mailbox; undefined for all.
 * @throws {UsageError} for a bad name, before any file is touched.
 */
export async function removeMailboxes(planspace: string, name?: string): Promise<void> {
  const target = name === undefined ? planspacePaths(planspace).mailboxes : mailboxPaths(planspace, name).dir;
  await rm(target, { recursive: true, force: true });
}
