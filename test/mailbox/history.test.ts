/**
 * Mailbox history: readers start from the mailbox's checkpoint, so what `check` and `recv`
 * cost does not grow with the number of messages consumed before, nor with the number of
 * sender processes that sent them and exited.
 */
import { copyFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { countPending, openInbox, send } from '../../src/index.js';
import { makeTree, runMailbox } from '../helpers.js';
import { checkpointFiles, scribbleCovered, sendFromDeadSenders } from './history.js';

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
  it('after 1,000 consumed messages, the logs shrink and check and recv never read those messages again', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: history\n' });
    for (let n = 0; n < 1000; n += 1) await send(plan, 'orch', `m${n}\n`);
    expect(await consume(plan, 'orch', 1000)).toEqual(Array.from({ length: 1000 }, (_, n) => `m${n}\n`));

    // 1,000 journal records and 2,000 claims records were written (64 bytes each): the
    // segments that checkpoints cover are deleted.
    const dir = join(plan, 'mailboxes', 'orch');
    const logs = (await readdir(dir)).filter((name) => /^(journal|claims)\.[0-9a-z]+$/.test(name));
    expect(logs).not.toContain('journal.0');
    expect(logs).not.toContain('claims.0');
    const sizes = await Promise.all(logs.map(async (name) => (await stat(join(dir, name))).size));
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBeLessThan((3000 * 64) / 2);
    // What is left of the logs before the checkpoints, made unreadable, shows nobody reads it.
    expect(await scribbleCovered(dir)).toBeGreaterThan(0);

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

  it('a damaged checkpoint is passed over: readers start from the one before it', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: history\n' });
    for (let n = 0; n < 400; n += 1) await send(plan, 'orch', `m${n}\n`);
    expect(await consume(plan, 'orch', 300, false)).toHaveLength(300);
    const [newest] = await checkpointFiles(join(plan, 'mailboxes', 'orch'));
    for (const damage of ['', '{"format":1', 'null\n', '{"format":1,"tag":"x","journal":-1}\n']) {
      await writeFile(newest ?? '', damage);
      expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '100\n' });
    }
    expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'm300\n' });
  });

  it('a checkpoint left by a mailbox since removed and created again is ignored', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: history\n' });
    for (let n = 0; n < 400; n += 1) await send(plan, 'orch', `old ${n}\n`);
    expect(await consume(plan, 'orch', 400)).toHaveLength(400);
    const dir = join(plan, 'mailboxes', 'orch');
    const kept = join(plan, 'kept');
    const [old] = await checkpointFiles(dir);
    await copyFile(old ?? '', kept);
    expect(await runMailbox(['cleanup', plan, 'orch'])).toMatchObject({ code: 0 });
    // As long as the old one: only the journal's first message tells the two apart.
    for (let n = 0; n < 450; n += 1) await send(plan, 'orch', `new ${n}\n`);
    // As a slow reader of the old mailbox would leave it, and as if it were the newest.
    await copyFile(kept, old ?? '');
    await copyFile(
      kept,
      `${dir}/checkpoint.zzzz.zzzz.${basename(old ?? '')
        .split('.')
        .slice(3)
        .join('.')}`,
    );
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '450\n' });
    expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'new 0\n' });
  });

  it('a long-lived reader left behind by deleted segments starts again from the newest checkpoint', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: history\n' });
    for (let n = 0; n < 10; n += 1) await send(plan, 'orch', `early ${n}\n`);
    const behind = await openInbox(plan, 'orch');
    try {
      expect((await behind.poll())?.body.toString()).toBe('early 0\n');
      for (let n = 0; n < 2000; n += 1) await send(plan, 'orch', `m${n}\n`);
      const bodies = await consume(plan, 'orch', 2009);
      expect(bodies.slice(0, 10)).toEqual([...Array.from({ length: 9 }, (_, n) => `early ${n + 1}\n`), 'm0\n']);
      const files = await readdir(join(plan, 'mailboxes', 'orch'));
      expect(files).not.toContain('journal.0');
      expect(files).not.toContain('claims.0');

      await send(plan, 'orch', 'last\n');
      expect((await behind.poll())?.body.toString()).toBe('last\n');
      expect(await behind.poll()).toBeUndefined();
    } finally {
      await behind.close();
    }
  });
});
