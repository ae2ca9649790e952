/**
 * Mailbox history for tests: many sender processes that have exited, without starting them.
 * Writes exactly the bytes `send` writes (see src/mailbox/send.ts): each simulated sender's
 * envelopes appended to its data file `data/<process key>`, then one journal record per
 * message, appended in send order. Their pids are above 2^22, the largest pid Linux allows,
 * so no such process can be alive.
 */
import { appendFileSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeMessage, ensureMailbox, mailboxPaths, RECORD_BYTES } from '../../src/index.js';
import { encodeDelivery } from '../../src/mailbox/journal.js';
import { decodeRecord } from '../../src/mailbox/records.js';

/**
 * Appends one record to a log file as it is, in one write: no segments, as an earlier version
 * of planspace wrote its logs, or as a writer killed half-way through a rotation leaves one.
 */
export function appendRecord(log: string, record: Buffer): void {
  appendFileSync(log, record, { mode: 0o600 });
}

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

/** The checkpoint files of a mailbox folder, newest first. */
export async function checkpointFiles(dir: string): Promise<string[]> {
  const covered = (name: string): number =>
    name
      .split('.')
      .slice(1, 3)
      .reduce((sum, part) => sum + parseInt(part, 36), 0);
  return (await readdir(dir))
    .filter((name) => /^checkpoint\.[0-9a-z]+\.[0-9a-z]+\.[0-9a-z.]+$/.test(name))
    .sort((a, b) => covered(b) - covered(a))
    .map((name) => join(dir, name));
}

/**
 * Overwrites, in every segment of the journal and the claims log of a mailbox folder, the
 * records that the oldest checkpoint covers (see src/mailbox/segments.ts): a reader that still
 * read one would fail, which shows that none does. Headers, and segment 0's first record
 * (which names the mailbox), stay.
 *
 * @returns how many records were overwritten.
 */
export async function scribbleCovered(dir: string): Promise<number> {
  const oldest = (await checkpointFiles(dir)).at(-1);
  if (oldest === undefined) return 0;
  const [, journal = '', claims = ''] = oldest.slice(oldest.lastIndexOf('checkpoint')).split('.');
  let scribbled = 0;
  for (const [log, covered] of [
    ['journal', parseInt(journal, 36)],
    ['claims', parseInt(claims, 36)],
  ] as const) {
    for (const name of await readdir(dir)) {
      if (!new RegExp(`^${log}\\.[0-9a-z]+$`).test(name)) continue;
      const bytes = await readFile(join(dir, name));
      const [kind = '', , base = '0'] = decodeRecord(bytes);
      const header = kind === 'h' ? 1 : 0;
      const last = Math.min(bytes.length / RECORD_BYTES, header + covered - parseInt(base, 36) * header);
      // Record 1 is the header, or segment 0's first record.
      if (last >= 2) {
        await scribble(join(dir, name), 2, last);
        scribbled += last - 1;
      }
    }
  }
  return scribbled;
}
