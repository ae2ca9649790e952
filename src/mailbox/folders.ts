import { closeSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isErrno } from '../errors.js';
import { assertOwnFolder, FOLDER_MODE, NO_FOLLOW, openNoFollowSync } from '../fs/guard.js';
import { planspacePaths } from '../planspace/paths.js';
import { mailboxPaths, type MailboxPaths } from './paths.js';

/**
 * Checks the folders a mailbox lives in before anything is read or written there: the
 * planspace and `mailboxes/` must belong to this user and be writable by nobody else, and
 * neither `mailboxes/`, `mailboxes/<name>/` nor its `data/` may be a link (which would take
 * the mailbox's files outside the planspace). Four `stat` calls; folders that do not exist
 * yet pass (`ensureMailbox` makes them 0700).
 *
 * @throws {UnsafePathError} naming the folder and what is wrong with it.
 */
export function assertMailboxFolders(paths: MailboxPaths): void {
  const mailboxes = dirname(paths.dir);
  assertOwnFolder(dirname(mailboxes), 'planspace', { link: true });
  if (!assertOwnFolder(mailboxes, 'mailboxes folder')) return;
  if (!assertOwnFolder(paths.dir, 'mailbox folder')) return;
  assertOwnFolder(paths.data, 'mailbox data folder');
}

/**
 * Creates a mailbox's folders (0700: only the owner may read or inject messages) and its
 * empty journal and claims log (0600), if they do not exist yet. Idempotent and safe to race.
 *
 * @param planspace - the planspace folder, which must exist.
 * @throws {UnsafePathError} as `assertMailboxFolders`, or if the journal or claims log is a
 *   link; nothing is created then.
 * @throws the `fs` error if the planspace is missing or not writable.
 */
export function ensureMailbox(planspace: string, paths: MailboxPaths): Promise<void> {
  // Synchronous calls (a throw in the executor rejects): eight small ones cost less than as
  // many thread-pool round trips, which took ~3 ms of the start of a run.
  return new Promise((resolve) => {
    assertMailboxFolders(paths);
    for (const folder of [planspacePaths(planspace).mailboxes, paths.dir, paths.data]) {
      try {
        mkdirSync(folder, { mode: FOLDER_MODE });
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw error;
      }
    }
    for (const log of [paths.journal, paths.claims]) closeSync(openNoFollowSync(log, NO_FOLLOW.append));
    resolve();
  });
}

/**
 * Removes one mailbox, or every mailbox of the planspace, with all its messages and its
 * registration.
 *
 * @param name - the mailbox; undefined for all.
 * @throws {UsageError} for a bad name, before any file is touched.
 * @throws {UnsafePathError} for a planspace or `mailboxes/` folder that another user owns or
 *   may write to, or a linked `mailboxes/`; nothing is removed then.
 */
export async function removeMailboxes(planspace: string, name?: string): Promise<void> {
  const paths = planspacePaths(planspace);
  // `rm` removes a link in place of the mailbox itself, not what it points at.
  const target = name === undefined ? paths.mailboxes : mailboxPaths(planspace, name).dir;
  assertOwnFolder(paths.root, 'planspace', { link: true });
  assertOwnFolder(paths.mailboxes, 'mailboxes folder');
  await rm(target, { recursive: true, force: true });
}
