import { join } from 'node:path';
import { assertName } from '../names.js';
import { planspacePaths } from '../planspace/paths.js';

/**
 * The files of one mailbox, `<planspace>/mailboxes/<name>/` (every folder 0700):
 *
 * ```text
 * journal     one 64-byte record per delivered message, in delivery order (the sequence):
 *             the message's id and where its envelope is stored; a link to the newest of its
 *             segments `journal.<g>` (see `segments.ts`)
 * claims      one 64-byte record per claim and per acknowledgement, in the order they were
 *             made; segments `claims.<g>` likewise
 * checkpoint.<n>.<m>.<tag>  what readers know after n journal and m claims records of the
 *             journal named tag, so that the next reader starts there (the two newest are kept;
 *             none at first). `checkpoint` is the prefix of their paths
 * data/       the envelopes: one append-only file per sending process, named by its process
 *             key, and a file of its own, named by message id, for each message over 64 KiB
 * agent.json  the registration of the agent that owns the mailbox, if any
 * ```
 *
 * See `journal.ts`, `segments.ts`, `reader.ts`, `checkpoint.ts` and `send.ts` for the formats and
 * protocols.
 */
export interface MailboxPaths {
  readonly name: string;
  readonly dir: string;
  readonly journal: string;
  readonly claims: string;
  readonly checkpoint: string;
  readonly data: string;
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
    claims: join(dir, 'claims'),
    checkpoint: join(dir, 'checkpoint'),
    data: join(dir, 'data'),
    agent: join(dir, 'agent.json'),
  };
}
