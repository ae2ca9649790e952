/**
 * Receivers that drain one mailbox together read the same records: the checkpoint one of them
 * writes serves the others, which do not each write their own of nearly the same state.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openInbox, send } from '../../src/index.js';
import { CHECKPOINT_RECORDS } from '../../src/mailbox/reader.js';
import { makeTree, runMailbox } from '../helpers.js';

describe('checkpoints of a mailbox drained by several receivers', () => {
  it('two receivers taking turns write about one checkpoint per CHECKPOINT_RECORDS records, not one each', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: sharing\n' });
    const total = 600;
    for (let n = 0; n < total; n += 1) await send(plan, 'orch', `m${n}\n`);
    const dir = join(plan, 'mailboxes', 'orch');
    const inboxes = [await openInbox(plan, 'orch'), await openInbox(plan, 'orch')];
    const received: string[] = [];
    // Every checkpoint written: a receive writes at most one, and the two newest are kept.
    const written = new Set<string>();
    try {
      for (let turn = 0; received.length < total; turn += 1) {
        const message = await inboxes[turn % 2]?.poll();
        if (message) received.push(message.body.toString());
        for (const name of await readdir(dir)) if (name.startsWith('checkpoint.')) written.add(name);
      }
    } finally {
      await Promise.all(inboxes.map((inbox) => inbox.close()));
    }
    expect(received).toEqual(Array.from({ length: total }, (_, n) => `m${n}\n`));
    // A journal record and two claims log records (claim, acknowledgement) per message.
    const records = 3 * total;
    expect(written.size).toBeGreaterThan(0);
    expect(written.size).toBeLessThanOrEqual(Math.ceil(records / CHECKPOINT_RECORDS) + 1);
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '0\n' });
  });
});
