/**
 * Data files of senders that died while a long-lived receiver remembered them alive: the
 * receiver deletes them when it closes, so a mailbox whose messages are all consumed and whose
 * senders are gone holds no data file.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { openInbox } from '../../src/index.js';
import { childEnv, makeTree, ROOT } from '../helpers.js';

describe('a receiver that closes', () => {
  it('deletes the data file of a sender that died after its messages were received', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: reclaim\n' });
    const sender = spawn(
      process.execPath,
      [join(ROOT, 'test', 'fixtures', 'bin', 'mailbox-sender.js'), plan, 'hub', '1', '2', 'stay'],
      { env: childEnv() },
    );
    try {
      const lines = createInterface({ input: sender.stdout });
      const sent = new Promise<void>((resolve) => {
        lines.on('line', (line) => {
          if (line === 'ready') sender.stdin.end('go\n');
          if (line === 'sent') resolve();
        });
      });
      await sent;
      const data = join(plan, 'mailboxes', 'hub', 'data');
      expect(await readdir(data)).toHaveLength(1);

      const inbox = await openInbox(plan, 'hub');
      // Both messages received and acknowledged while their sender lives: its file stays.
      expect((await inbox.next({ timeoutMs: 10_000 })).body.toString()).toMatch(/^sender 1 message 0 /);
      expect((await inbox.next({ timeoutMs: 10_000 })).body.toString()).toMatch(/^sender 1 message 1 /);
      expect(await readdir(data)).toHaveLength(1);

      sender.kill('SIGKILL');
      await once(sender, 'close');
      await inbox.close();
      expect(await readdir(data)).toEqual([]);
    } finally {
      sender.kill('SIGKILL');
    }
  });
});
