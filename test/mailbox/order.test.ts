/**
 * Order across senders: a mailbox's messages are received in the order their sends completed,
 * whichever process sent them.
 */
import { describe, expect, it } from 'vitest';
import { receive, send } from '../../src/index.js';
import { makeTree, runMailbox } from '../helpers.js';

describe('order across senders', () => {
  it('messages sent one after another by different processes are received in that order', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: order\n' });
    const senders = ['scan', 'coder', 'scan', 'reviewer', 'coder', 'coder', 'scan', 'reviewer'];
    for (const [n, from] of senders.entries()) {
      // Each send is a process of its own, and finishes before the next starts.
      expect(await runMailbox(['send', plan, 'orch', `message ${n}`, '--from', from])).toMatchObject({
        code: 0,
        stdout: `sent:orch:${n + 1}\n`,
      });
    }
    // This process is one more sender.
    expect(await send(plan, 'orch', 'from the test\n', { from: 'test' })).toMatchObject({ seq: senders.length + 1 });

    // Two through the CLI, the rest through the library.
    expect((await runMailbox(['recv', plan, 'orch', '10'])).stdout).toBe('message 0\n');
    expect((await runMailbox(['recv', plan, 'orch', '10'])).stdout).toBe('message 1\n');
    const rest: { body: string; sender: string | null; seq: number }[] = [];
    for (let n = 2; n <= senders.length; n += 1) {
      const { body, sender, seq } = await receive(plan, 'orch', { timeoutMs: 10_000 });
      rest.push({ body: body.toString(), sender, seq });
    }
    expect(rest).toEqual([
      ...senders.slice(2).map((from, n) => ({ body: `message ${n + 2}\n`, sender: from, seq: n + 3 })),
      { body: 'from the test\n', sender: 'test', seq: senders.length + 1 },
    ]);
    expect((await runMailbox(['check', plan, 'orch'])).stdout).toBe('0\n');
  });
});
