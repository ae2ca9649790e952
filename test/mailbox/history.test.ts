/**
 * Mailbox history: readers start from the mailbox's checkpoint, so what `check` and `recv`
 * cost does not grow with the number of messages consumed before, nor with the number of
 * sender processes that sent them and exited.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { countPending, openInbox, send } from '../../src/index.js';
import { makeTree, runMailbox } from '../helpers.js';
import { scribble, sendFromDeadSenders } from './history.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Receives `count` messages as a long-lived receiver would, acknowledging each; with `drained`,
 * then finds the mailbox empty, as a receiver waiting for more does.
 */
async function consume(plan: string, name: string, count: number, drained = true): Promise<string[]> {
  const inbox = await openInbox(plan, name);
  try {
    const bodies: string[] = [];
    for (let n = 0; n < count; n += 1) bodies.push((await inbox.next({ timeoutMs: 10_000 })).body.toString());
    if (drained) expect(await inbox.poll()).toBeUndefined();
    return bodies;
  } finally {
    await inbox.close();
  }
}

describe('mailbox history', () => {
  it('check and recv after 1,000 consumed messages never read those messages again', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: history\n' });
    for (let n = 0; n < 1000; n += 1) await send(plan, 'orch', `m${n}\n`);
    expect(await consume(plan, 'orch', 1000)).toEqual(Array.from({ length: 1000 }, (_, n) => `m${n}\n`));

    // What a reader would have to replay: the first half of the journal (its first record names
    // the mailbox and stays) and of the claims log. Made unreadable, it shows nobody reads it.
    const dir = join(plan, 'mailboxes', 'orch');
    await scribble(join(dir, 'journal'), 2, 500);
    await scribble(join(dir, 'claims'), 1, 1000);

    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '0\n' });
    await send(plan, 'orch', 'after the history\n');
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '1\n' });
    expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'after the history\n' });
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '0\n' });
  });

  it('a check after messages from 300 sender processes that exited asks about none of them again', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: history\n' });
    await sendFromDeadSenders(plan, 'orch', 300, 2);
    const bodies = await consume(plan, 'orch', 600);
    expect(bodies.slice(0, 3)).toEqual(['0:0\n', '0:1\n', '1:0\n']);
    // Every message consumed and every sender gone: their data files are deleted.
    expect(await readdir(join(plan, 'mailboxes', 'orch', 'data'))).toEqual([]);

    // A new reader (a `mailbox check`) must not look each sender up again with kill(pid, 0)
    // and unlink its long-gone data file: 300 of each before checkpoints.
    const kill = vi.spyOn(process, 'kill');
    expect(await countPending(plan, 'orch')).toBe(0);
    expect(kill.mock.calls.length).toBeLessThan(10);
  });

  it('a damaged checkpoint is ignored: readers rebuild what they know from the logs', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: history\n' });
    for (let n = 0; n < 400; n += 1) await send(plan, 'orch', `m${n}\n`);
    expect(await consume(plan, 'orch', 300, false)).toHaveLength(300);
    const checkpoint = join(plan, 'mailboxes', 'orch', 'checkpoint');
    for (const damage of ['', '{"format":1', 'null\n', '{"format":1,"tag":"x","journal":-1}\n']) {
      await writeFile(checkpoint, damage);
      expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '100\n' });
    }
    expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'm300\n' });
  });

  it('a checkpoint left by a mailbox since removed and created again is ignored', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: history\n' });
    for (let n = 0; n < 400; n += 1) await send(plan, 'orch', `old ${n}\n`);
    expect(await consume(plan, 'orch', 400)).toHaveLength(400);
    const checkpoint = join(plan, 'mailboxes', 'orch', 'checkpoint');
    const old = await readFile(checkpoint);
    expect(await runMailbox(['cleanup', plan, 'orch'])).toMatchObject({ code: 0 });
    // As long as the old one: only the journal's first message tells the two apart.
    for (let n = 0; n < 450; n += 1) await send(plan, 'orch', `new ${n}\n`);
    await writeFile(checkpoint, old);
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '450\n' });
    expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'new 0\n' });
  });
});
