/**
 * A message held by a live receiver (claimed, not yet acknowledged) while many more pass: the
 * readers that come after still start from a recent checkpoint, instead of replaying every
 * message delivered since the held one.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openInbox, send } from '../../src/index.js';
import { makeTree, runMailbox } from '../helpers.js';
import { scribbleCovered } from './history.js';

describe('a message held while many more pass', () => {
  it('check and recv after 1,000 messages consumed behind a held one read none of them again', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: held\n' });
    await send(plan, 'orch', 'held\n');
    const holder = await openInbox(plan, 'orch');
    const inbox = await openInbox(plan, 'orch');
    try {
      const held = await holder.next({ timeoutMs: 10_000, ack: false });
      expect(held.body.toString()).toBe('held\n');
      for (let n = 0; n < 1000; n += 1) await send(plan, 'orch', `m${n}\n`);
      for (let n = 0; n < 1000; n += 1)
        expect((await inbox.next({ timeoutMs: 10_000 })).body.toString()).toBe(`m${n}\n`);
      expect(await inbox.poll()).toBeUndefined();

      const dir = join(plan, 'mailboxes', 'orch');
      expect(await scribbleCovered(dir)).toBeGreaterThan(0);
      // The held message belongs to this live process: nothing waits.
      expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '0\n' });
      await send(plan, 'orch', 'after\n');
      expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'after\n' });
      await held.ack();
      expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '0\n' });
    } finally {
      await Promise.all([holder.close(), inbox.close()]);
    }
  });
});
