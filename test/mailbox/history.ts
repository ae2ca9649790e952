/**
 * Mailbox history for tests: many sender processes that have exited, without starting them.
 * Writes exactly the bytes `send` writes (see src/mailbox/send.ts): each simulated sender's
 * envelopes appended to its data file `data/<process key>`, then one journal record per
 * message, appended in send order. Their pids are above 2^22, the largest pid Linux allows,
 * so no such process can be alive.
 */
import { appendFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { encodeMessage, ensureMailbox, mailboxPaths, RECORD_BYTES } from '../../src/index.js';
import { encodeDelivery } from '../../src/mailbox/journal.js';
import { appendRecord } from '../../src/mailbox/records.js';

/** The first pid given to a simulated sender: above any pid Linux hands out. */
export const DEAD_PID = 2 ** 22 + 1;

/**
 * Delivers `perSender` messages from each of `senders` simulated dead sender processes to
 * mailbox `name`, sender by sender. Bodies are `<sender index>:<message index>\n`.
 *
 * @returns the number of messages delivered.
 */
export async function sendFromDeadSenders(
  planspace: string,
  name: string,
  senders: number,
  perSender: number,
): Promise<number> {
  const paths = mailboxPaths(planspace, name);
  await ensureMailbox(planspace, paths);
  for (let s = 0; s < senders; s += 1) {
    const key = `${(DEAD_PID + s).toString(36)}.${s.toString(36).padStart(6, '0')}`;
    let offset = 0;
    for (let m = 1; m <= perSender; m += 1) {
      const id = `${key}.${m.toString(36)}`;
      const envelope = encodeMessage(
        { id, sender: `sender-${s}`, time: new Date().toISOString(), runId: null },
        Buffer.from(`${s}:${m - 1}\n`),
      );
      appendFileSync(`${paths.data}/${key}`, envelope, { mode: 0o600 });
      appendRecord(paths.journal, encodeDelivery(id, false, offset, envelope.length));
      offset += envelope.length;
    }
  }
  return senders * perSender;
}

/**
 * Overwrites records `from` to `to` (1-based, inclusive) of a record log with bytes no reader
 * can decode: a reader that still read them would fail, which shows that none does.
 */
export async function scribble(log: string, from: number, to: number): Promise<void> {
  const handle = await open(log, 'r+');
  try {
    const junk = Buffer.from(`${'#'.repeat(RECORD_BYTES - 1)}\n`.repeat(to - from + 1), 'latin1');
    await handle.write(junk, 0, junk.length, (from - 1) * RECORD_BYTES);
  } finally {
    await handle.close();
  }
}
