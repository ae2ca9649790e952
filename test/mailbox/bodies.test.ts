/**
 * Bodies are bytes: whatever goes in (8 MiB of random data, NUL bytes, invalid UTF-8, nothing)
 * comes out byte for byte, through the CLI's standard input and output and through the library.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { receive, send } from '../../src/index.js';
import { makeTree, runMailbox } from '../helpers.js';

const BIG = randomBytes(8 * 1024 * 1024);
const BINARY = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a, 0x00]);

function emptyPlanspace(): Promise<string> {
  return makeTree({ 'schedule.md': '# Schedule: bodies\n' });
}

describe('message bodies', () => {
  it.each([
    ['8 MiB of random bytes', BIG],
    ['NUL bytes and invalid UTF-8', BINARY],
    ['an empty body', Buffer.alloc(0)],
  ])('%s: mailbox send on standard input, mailbox recv on standard output, byte for byte', async (_, body) => {
    const plan = await emptyPlanspace();
    expect(await runMailbox(['send', plan, 'bytes'], { input: body })).toMatchObject({
      code: 0,
      stdout: 'sent:bytes:1\n',
    });
    const received = await runMailbox(['recv', plan, 'bytes', '10']);
    expect(received.code, received.stderr).toBe(0);
    expect(received.bytes.length).toBe(body.length);
    expect(received.bytes.equals(body)).toBe(true);
  });

  it.each([
    ['8 MiB of random bytes', BIG],
    ['NUL bytes and invalid UTF-8', BINARY],
  ])('%s: library send and receive, and across the CLI and the library', async (_, body) => {
    const plan = await emptyPlanspace();
    await send(plan, 'lib', body);
    expect((await receive(plan, 'lib', { timeoutMs: 10_000 })).body.equals(body)).toBe(true);

    await runMailbox(['send', plan, 'lib'], { input: body });
    expect((await receive(plan, 'lib', { timeoutMs: 10_000 })).body.equals(body)).toBe(true);

    await send(plan, 'lib', body);
    expect((await runMailbox(['recv', plan, 'lib', '10'])).bytes.equals(body)).toBe(true);

    // Consumed messages leave no data behind: a large body's own file (`<key>.<n>`) is deleted
    // once acknowledged, and so is the file of the CLI sender, which has exited. Only this live
    // process's own data file may remain.
    const left = await readdir(join(plan, 'mailboxes', 'lib', 'data'));
    expect(
      left.filter((file) => file.split('.').length !== 2 || !file.startsWith(`${process.pid.toString(36)}.`)),
    ).toEqual([]);
  });

  it('gives a body that is not UTF-8 as base64 with --json', async () => {
    const plan = await emptyPlanspace();
    await runMailbox(['send', plan, 'bytes'], { input: BINARY });
    const json = JSON.parse((await runMailbox(['recv', plan, 'bytes', '--json'])).stdout) as {
      body: string | null;
      bodyBase64: string;
    };
    expect(json.body).toBeNull();
    expect(Buffer.from(json.bodyBase64, 'base64').equals(BINARY)).toBe(true);
  });

  it('drains binary bodies byte for byte, each followed by a line ---', async () => {
    // BINARY does not end with a newline: drain adds one so that --- stands on a line of its own.
    const plan = await emptyPlanspace();
    await runMailbox(['send', plan, 'bytes'], { input: BINARY });
    await runMailbox(['send', plan, 'bytes'], { input: 'text\n' });
    const drained = await runMailbox(['drain', plan, 'bytes']);
    expect(drained.bytes).toEqual(Buffer.concat([BINARY, Buffer.from('\n---\ntext\n---\n')]));
  });
});
