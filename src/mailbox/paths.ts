import { join } from 'node:path';
import { assertName } from '../names.js';
import { planspacePaths } from '../planspace/paths.js';

/**
 * The files of one mailbox, `<planspace>/mailboxes/<name>/` (every folder 0700):
 *
 * ```text
 * journal     one 48-byte record per delivered message, in delivery order (the sequence)
 * messages/   messages not yet claimed, one file each, named by message id; a message is
 *             delivered once the journal records it
 * claimed/    claimed messages, named <seq>-<id>@<receiver pid>, until acknowledged
 * tmp/        temporary files of the cursor hint
 * cursor      a hint: how many leading journal records are known to be claimed
 * agent.json  the registration of the agent that owns the mailbox, if any
 * ```
 */
export interface MailboxPaths {
  readonly name: string;
  readonly dir: string;
  readonly journal: string;
  readonly messages: string;
  readonly claimed: string;
  readonly tmp: string;
  readonly cursor: string;
  readonly agent: string;
}

/**
 * Derives the paths of a mailbox.
 *
 * @throws {UsageError} if `name` is not a valid mailbox name (checked before any file is touched).
 */
export function mailboxPaths(planspace: string, name: string): MailboxPaths {
  assertName('mailbox', name);
  const dir = join(planspacePaths(planspace).mailboxes, name);
  return {
    name,
    dir,
    journal: join(dir, 'journal'),
    messages: join(dir, 'messages'),
    claimed: join(dir, 'claimed'),
    tmp: join(dir, 'tmp'),
    cursor: join(dir, 'cursor'),
    agent: join(dir, 'agent.json'),
  };
}
