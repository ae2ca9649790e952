/**
 * A mailbox with a large backlog (many messages delivered, none consumed yet): a receiver
 * reads the journal only a little past the next message it may claim, so that one receive
 * costs no more with 100,000 messages waiting than with 10 (bench/mailbox-backlog.js measures
 * it). What users see: every message is still received once, in order, by receivers that come
 * and go; the data files of exited senders are still deleted; and what a receive reads, or
 * leaves in a checkpoint, does not grow with the backlog.
 */
import { appendFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeMessage, ensureMailbox, mailboxPaths, openInbox, send } from '../../src/index.js';
import { encodeDelivery } from '../../src/mailbox/journal.js';
import { appendToLog, SEGMENT_RECORDS } from '../../src/mailbox/segments.js';
import { makeTree, runMailbox } from '../helpers.js';
import { checkpointFiles, DEAD_PID } from './history.js';

const execFileAsync = promisify(execFile);

/**
 * Delivers `perSender` messages from each of `senders` exited sender processes, as `send`
 * writes them (envelopes in `data/<process key>`, then one journal record each, appended in
 * segments). Bodies are `<sender>:<n>\n`.
 *
 * @returns the bodies in delivery order.
 */
async function sendFromDeadSenders(plan: string, name: string, senders: number, perSender: number): Promise<string[]> {
  const paths = mailboxPaths(plan, name);
  await ensureMailbox(plan, paths);
  const bodies: string[] = [];
  for (let s = 0; s < senders; s += 1) {
    const key = `${(DEAD_PID + s).toString(36)}.${s.toString(36).padStart(6, '0')}`;
    let offset = 0;
    for (let m = 0; m < perSender; m += 1) {
      const id = `${key}.${(m + 1).toString(36)}`;
      const body = `${s}:${m}\n`;
      const envelope = encodeMessage(
        { id, sender: null, time: new Date().toISOString(), runId: null },
        Buffer.from(body),
      );
      appendFileSync(join(paths.data, key), envelope, { mode: 0o600 });
      appendToLog(paths.journal, encodeDelivery(id, false, offset, envelope.length));
      offset += envelope.length;
      bodies.push(body);
    }
  }
  return bodies;
}

/** The largest checkpoint file of a mailbox folder, in bytes (0 if none). */
async function largestCheckpoint(dir: string): Promise<number> {
  const sizes = await Promise.all((await checkpointFiles(dir)).map(async (file) => (await stat(file)).size));
  return Math.max(0, ...sizes);
}

describe('a mailbox with a large backlog', () => {
  it('20,000 waiting messages drain completely, in order, once each, through receivers that come and go', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: backlog\n' });
    const sent = await sendFromDeadSenders(plan, 'orch', 2000, 10);
    const dir = join(plan, 'mailboxes', 'orch');
    const received: string[] = [];
    // A new receiver for every 500 messages, as `mailbox recv` in a loop would be (each one
    // starts from the checkpoint the ones before it left).
    while (received.length < sent.length) {
      const inbox = await openInbox(plan, 'orch');
      try {
        for (let n = 0; n < 500; n += 1) received.push((await inbox.next({ timeoutMs: 10_000 })).body.toString());
      } finally {
        await inbox.close();
      }
      // The state a receiver leaves holds the messages near the ones it took, not the backlog.
      expect(await largestCheckpoint(dir)).toBeLessThan(64 * 1024);
      if (received.length === 10_000) {
        expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '10000\n' });
      }
    }
    expect(received).toEqual(sent);
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '0\n' });
    expect(await runMailbox(['recv', plan, 'orch', '1'])).toMatchObject({ code: 1, stdout: 'TIMEOUT\n' });
    // Every sender exited and every message was consumed: their data files are gone.
    expect(await readdir(join(dir, 'data'))).toEqual([]);
  }, 300_000);

  it('a receive reads none of the backlog past the next messages, from a checkpoint or without', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: backlog\n' });
    const total = 10 * SEGMENT_RECORDS;
    for (let n = 0; n < total; n += 1) await send(plan, 'orch', `m${n}\n`);
    const dir = join(plan, 'mailboxes', 'orch');
    // Segment 6 of the journal (log records 3073 to 3584) unreadable: a pipe in its place (set
    // aside under a name that is no segment's).
    const breakSegment = async (): Promise<void> => {
      await rename(join(dir, 'journal.6'), join(dir, 'journal.6.aside'));
      await execFileAsync('mkfifo', [join(dir, 'journal.6')]);
    };
    const mendSegment = async (): Promise<void> => {
      await rm(join(dir, 'journal.6'));
      await rename(join(dir, 'journal.6.aside'), join(dir, 'journal.6'));
    };
    await breakSegment();
    // No checkpoint yet: the first receivers read the journal from its start.
    expect(await checkpointFiles(dir)).toEqual([]);
    expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'm0\n' });
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: `${total - 1}\n` });
    const received = ['m0\n'];
    const inbox = await openInbox(plan, 'orch');
    try {
      while (received.length < 300) received.push((await inbox.next({ timeoutMs: 10_000 })).body.toString());
      // Now from the checkpoints the receivers left.
      expect((await checkpointFiles(dir)).length).toBeGreaterThan(0);
      expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'm300\n' });
      expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: `${total - 301}\n` });
      received.push('m300\n');
      await mendSegment();
      while (received.length < total) received.push((await inbox.next({ timeoutMs: 10_000 })).body.toString());
    } finally {
      await inbox.close();
    }
    expect(received).toEqual(Array.from({ length: total }, (_, n) => `m${n}\n`));
  }, 180_000);
});
