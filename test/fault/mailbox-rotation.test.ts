/**
 * A sender killed half-way through starting a new log segment (src/mailbox/segments.ts):
 * after sealing the full segment, or after creating the next one but before `journal` links
 * to it. Its own message is delivered (its record came before the seal), and every message
 * sent afterwards, by processes and in-process alike, is delivered exactly once, in order.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openInbox, send } from '../../src/index.js';
import { SEGMENT_RECORDS } from '../../src/mailbox/segments.js';
import { makeTree, runMailbox } from '../helpers.js';

/** Claims and acknowledges every waiting message; returns their bodies in sequence order. */
async function drain(plan: string, name: string): Promise<string[]> {
  const inbox = await openInbox(plan, name);
  try {
    const bodies: { seq: number; body: string }[] = [];
    for (let message = await inbox.poll(); message; message = await inbox.poll()) {
      bodies.push({ seq: message.seq, body: message.body.toString() });
    }
    return bodies.sort((a, b) => a.seq - b.seq).map(({ body }) => body);
  } finally {
    await inbox.close();
  }
}

describe('a sender killed while it starts a new segment', () => {
  for (const point of ['mailbox-rotate-after-seal', 'mailbox-rotate-after-create']) {
    it(`at ${point}: nothing lost, nothing twice, in order`, async () => {
      const plan = await makeTree({ 'schedule.md': '# Schedule: rotation crash\n' });
      const expected: string[] = [];
      for (let n = 0; n < SEGMENT_RECORDS - 1; n += 1) {
        await send(plan, 'hub', `m${n}\n`);
        expected.push(`m${n}\n`);
      }
      // This send fills segment 0: its sender seals it and dies.
      const killed = await runMailbox(['send', plan, 'hub', 'filler'], { env: { PLANSPACE_FAULT: point } });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expected.push('filler\n');
      const files = await readdir(join(plan, 'mailboxes', 'hub'));
      expect(files).toContain('journal.0');
      expect(files.includes('journal.1')).toBe(point === 'mailbox-rotate-after-create');

      // Senders after it land after the seal, finish the rotation, and send again.
      const late = await Promise.all([0, 1, 2].map((n) => runMailbox(['send', plan, 'hub', `process ${n}`])));
      for (const result of late) expect(result, result.stderr).toMatchObject({ code: 0 });
      for (let n = 0; n < 5; n += 1) await send(plan, 'hub', `after ${n}\n`);
      const bodies = await drain(plan, 'hub');
      expect(bodies.slice(0, SEGMENT_RECORDS)).toEqual(expected);
      expect(bodies.slice(SEGMENT_RECORDS, SEGMENT_RECORDS + 3).sort()).toEqual([
        'process 0\n',
        'process 1\n',
        'process 2\n',
      ]);
      expect(bodies.slice(SEGMENT_RECORDS + 3)).toEqual([
        'after 0\n',
        'after 1\n',
        'after 2\n',
        'after 3\n',
        'after 4\n',
      ]);
      expect(await runMailbox(['check', plan, 'hub'])).toMatchObject({ code: 0, stdout: '0\n' });
    }, 60_000);
  }
});
