/**
 * Mailboxes are private: the folders are created 0700 and message files 0600, whichever verb
 * creates them first, so that no other user can read or inject messages.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openInbox, send } from '../../src/index.js';
import { makeTree, runMailbox } from '../helpers.js';

async function modeOf(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

async function expectPrivateMailbox(plan: string, name: string): Promise<void> {
  const mailboxes = join(plan, 'mailboxes');
  expect(await modeOf(mailboxes)).toBe('700');
  const dir = join(mailboxes, name);
  expect(await modeOf(dir)).toBe('700');
  expect(await modeOf(join(dir, 'data'))).toBe('700');
  for (const log of ['journal', 'claims']) expect(await modeOf(join(dir, log)), log).toBe('600');
}

describe('mailbox folders', () => {
  it.each([
    ['send', ['send', 'NAME', 'hello']],
    ['register', ['register', 'NAME', '1']],
    ['recv', ['recv', 'NAME', '1']],
  ])('are created 0700 by %s', async (_, args) => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: modes\n' });
    const [verb = '', ...rest] = args;
    await runMailbox([verb, plan, ...rest.map((arg) => (arg === 'NAME' ? 'private' : arg))]);
    await expectPrivateMailbox(plan, 'private');
  });

  it('are created 0700 by the library, and message files are 0600', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: modes\n' });
    const inbox = await openInbox(plan, 'lib');
    await inbox.close();
    await expectPrivateMailbox(plan, 'lib');
    await runMailbox(['send', plan, 'lib', 'secret']);
    await send(plan, 'lib', Buffer.alloc(100_000, 1)); // a body with a data file of its own
    const data = join(plan, 'mailboxes', 'lib', 'data');
    const files = await readdir(data);
    expect(files).toHaveLength(2);
    for (const file of files) expect(await modeOf(join(data, file)), file).toBe('600');
  });
});
