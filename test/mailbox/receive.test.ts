/**
 * Blocking receive: timeouts that are neither early nor far late, and a blocked receiver woken
 * by a file-system event from another process rather than by its periodic re-scan.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openInbox, receive, ReceiveTimeoutError, send } from '../../src/index.js';
import { makeTree, runMailbox } from '../helpers.js';

/** Room for starting a Node process on a loaded machine; the timeouts themselves are exact. */
const START_UP_MS = 1500;

function emptyPlanspace(): Promise<string> {
  return makeTree({ 'schedule.md': '# Schedule: wait\n' });
}

describe('receive', () => {
  it('`recv <name> 1` with no message prints TIMEOUT and exits 1 after one second', async () => {
    const plan = await emptyPlanspace();
    const started = performance.now();
    const result = await runMailbox(['recv', plan, 'idle', '1']);
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ code: 1, stdout: 'TIMEOUT\n', stderr: '' });
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(1000 + START_UP_MS);
  });

  it('refuses a timeout that is not a number of seconds', async () => {
    const plan = await emptyPlanspace();
    expect(await runMailbox(['recv', plan, 'idle', 'soon'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: "timeout must be a number of seconds (0 waits forever), got 'soon'\n",
    });
  });

  it('library receive rejects with ReceiveTimeoutError, no earlier than its timeout', async () => {
    const plan = await emptyPlanspace();
    const started = performance.now();
    const error: unknown = await receive(plan, 'idle', { timeoutMs: 300 }).catch((reason: unknown) => reason);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ReceiveTimeoutError);
    expect(error).toMatchObject({ code: 'E_TIMEOUT', timeoutMs: 300 });
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(300 + START_UP_MS);
  });

  it('library receive stops when its signal aborts, with the signal’s reason', async () => {
    const plan = await emptyPlanspace();
    const controller = new AbortController();
    const waiting = receive(plan, 'idle', { signal: controller.signal });
    const reason = new Error('shutting down');
    setTimeout(() => {
      controller.abort(reason);
    }, 100);
    await expect(waiting).rejects.toBe(reason);
  });

  it('a `recv` that waits forever (0) gets a message sent later by another process', async () => {
    const plan = await emptyPlanspace();
    const waiting = runMailbox(['recv', plan, 'later', '0']);
    // Give the receiver time to start and block before the message exists.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await runMailbox(['send', plan, 'later', 'finally'])).toMatchObject({ code: 0, stdout: 'sent:later:1\n' });
    expect(await waiting).toMatchObject({ code: 0, stdout: 'finally\n' });
  });

  it('a blocked receiver wakes on a send from another process, long before its re-scan would', async () => {
    const plan = await emptyPlanspace();
    const inbox = await openInbox(plan, 'woken');
    try {
      for (const word of ['one', 'two', 'three']) {
        // A 60 s re-scan and a 10 s timeout: only a file-system event can deliver in time.
        // Starting the sending process takes far longer than the receiver's first scan: the
        // receiver is blocked when the message is delivered.
        const [message, sent] = await Promise.all([
          inbox.next({ rescanMs: 60_000, timeoutMs: 10_000 }),
          runMailbox(['send', plan, 'woken', word]),
        ]);
        expect(sent.code).toBe(0);
        expect(message.body.toString()).toBe(`${word}\n`);
      }
    } finally {
      await inbox.close();
    }
  });

  it('ignores a claim written against an earlier incarnation of the mailbox', async () => {
    const plan = await emptyPlanspace();
    await send(plan, 'reborn', 'one\n');
    // A claim by a live process (this one, under another key) of message 1, but tagged with
    // another journal: a receiver that was reading the mailbox before a cleanup wrote it.
    const stale = `c 1 ${process.pid.toString(36)}.zzzzzz - ${process.pid.toString(36)}.aaaaaa.1`;
    await appendFile(join(plan, 'mailboxes', 'reborn', 'claims'), `${stale.padEnd(63)}\n`);
    expect(await runMailbox(['check', plan, 'reborn'])).toMatchObject({ stdout: '1\n' });
    expect(await runMailbox(['recv', plan, 'reborn', '5'])).toMatchObject({ code: 0, stdout: 'one\n' });
  });

  it('an open inbox receives every message of a mailbox cleaned up and created again, from seq 1', async () => {
    const plan = await emptyPlanspace();
    const inbox = await openInbox(plan, 'reused');
    try {
      // Enough messages for the reader to have moved well into the old journal.
      for (let n = 0; n < 20; n += 1) await send(plan, 'reused', `old ${n}\n`);
      for (let n = 0; n < 20; n += 1) {
        expect((await inbox.next({ timeoutMs: 10_000 })).body.toString()).toBe(`old ${n}\n`);
      }
      // The reader waits while the mailbox is removed and created again by new sends.
      const [first] = await Promise.all([
        inbox.next({ timeoutMs: 10_000 }),
        (async () => {
          expect(await runMailbox(['cleanup', plan, 'reused'])).toMatchObject({ stdout: 'cleaned:reused\n' });
          for (const word of ['new0', 'new1', 'new2']) {
            expect((await runMailbox(['send', plan, 'reused', word])).code).toBe(0);
          }
        })(),
      ]);
      const received = [first, await inbox.next({ timeoutMs: 10_000 }), await inbox.next({ timeoutMs: 10_000 })];
      expect(received.map(({ seq, body }) => [seq, body.toString()])).toEqual([
        [1, 'new0\n'],
        [2, 'new1\n'],
        [3, 'new2\n'],
      ]);
    } finally {
      await inbox.close();
    }
  });
});
