/**
 * At-least-once delivery: a message claimed by a receiver that dies before printing it is
 * delivered again; a message claimed by a live receiver goes to nobody else.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { receive } from '../../src/index.js';
import { makeTree, runMailbox } from '../helpers.js';

/** The claims log's claim records (`c ...`), one per claim made. */
async function claimRecords(plan: string): Promise<string[]> {
  const log = await readFile(join(plan, 'mailboxes', 'orch', 'claims'), 'latin1');
  return log.split('\n').filter((line) => line.startsWith('c '));
}

function emptyPlanspace(): Promise<string> {
  return makeTree({ 'schedule.md': '# Schedule: crash\n' });
}

describe('a receiver that dies', () => {
  it('killed with SIGKILL right after claiming, loses no message: it stays pending and is delivered again', async () => {
    const plan = await emptyPlanspace();
    await runMailbox(['send', plan, 'orch', 'done:3:scan', 'finished']);
    await runMailbox(['send', plan, 'orch', 'second']);

    const crashed = await runMailbox(['recv', plan, 'orch'], { env: { PLANSPACE_FAULT: 'mailbox-after-claim' } });
    expect(crashed).toMatchObject({ signal: 'SIGKILL', stdout: '' });
    // It did claim the message before dying: the fault point is after the claim.
    expect(await claimRecords(plan)).toHaveLength(1);
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '2\n' });

    // The orphaned claim comes first: it was delivered first.
    expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'done:3:scan finished\n' });
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ stdout: '1\n' });
    expect(await runMailbox(['recv', plan, 'orch', '10'])).toMatchObject({ code: 0, stdout: 'second\n' });
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ stdout: '0\n' });
    // Every message consumed, and their senders gone: their data files are deleted.
    expect(await readdir(join(plan, 'mailboxes', 'orch', 'data'))).toEqual([]);
  });

  it('drain also delivers a message whose receiver died', async () => {
    const plan = await emptyPlanspace();
    await runMailbox(['send', plan, 'orch', 'orphan']);
    const crashed = await runMailbox(['recv', plan, 'orch'], { env: { PLANSPACE_FAULT: 'mailbox-after-claim' } });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await runMailbox(['drain', plan, 'orch'])).toMatchObject({ code: 0, stdout: 'orphan\n---\n' });
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ stdout: '0\n' });
  });

  it('a message claimed by a live receiver, not yet acknowledged, goes to no other receiver', async () => {
    const plan = await emptyPlanspace();
    await runMailbox(['send', plan, 'orch', 'mine']);
    const held = await receive(plan, 'orch', { timeoutMs: 10_000, ack: false });
    expect(held.body.toString()).toBe('mine\n');
    // This test process is alive and holds the claim.
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ stdout: '0\n' });
    expect(await runMailbox(['recv', plan, 'orch', '1'])).toMatchObject({ code: 1, stdout: 'TIMEOUT\n' });
    await held.ack();
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ stdout: '0\n' });
    expect(await runMailbox(['recv', plan, 'orch', '1'])).toMatchObject({ code: 1, stdout: 'TIMEOUT\n' });
  });
});
