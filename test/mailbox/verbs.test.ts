/**
 * The shell contract of DESIGN.md §4, through the real `mailbox` executable: exact outputs,
 * `--json`, the envelope's sender and run id, and `workflow mailbox` as a second way in.
 */
import { execFile, spawn } from 'node:child_process';
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isErrno, receive } from '../../src/index.js';
import { childEnv, MAILBOX_BIN, makeTree, runMailbox } from '../helpers.js';

const run = promisify(execFile);

function emptyPlanspace(): Promise<string> {
  return makeTree({ 'schedule.md': '# Schedule: mail\n' });
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid;
  await new Promise((resolve) => child.on('close', resolve));
  if (pid === undefined) throw new Error('the short-lived process did not start');
  return pid;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

const AGENT_LINE = /^(\S+) \| pid=(\d+) \| status=(alive|dead) \| pending=(\d+) \| since=(\S+)$/;

describe('mailbox verbs', () => {
  it('send, check, recv and drain print exactly what the contract says', async () => {
    const plan = await emptyPlanspace();
    expect(await runMailbox(['send', plan, 'orch', 'done:3:scan', 'finished'])).toMatchObject({
      code: 0,
      stdout: 'sent:orch:1\n',
      stderr: '',
    });
    expect(await runMailbox(['send', plan, 'orch', 'two  spaces', 'kept'])).toMatchObject({ stdout: 'sent:orch:2\n' });
    expect(await runMailbox(['send', plan, 'orch'], { input: 'no newline at the end' })).toMatchObject({
      stdout: 'sent:orch:3\n',
    });
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '3\n' });

    // The body from words: joined by spaces, plus a newline; printed exactly, nothing added.
    expect(await runMailbox(['recv', plan, 'orch'])).toMatchObject({ code: 0, stdout: 'done:3:scan finished\n' });
    expect(await runMailbox(['recv', plan, 'orch', '5'])).toMatchObject({ code: 0, stdout: 'two  spaces kept\n' });
    expect(await runMailbox(['recv', plan, 'orch', '0'])).toMatchObject({ code: 0, stdout: 'no newline at the end' });
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ code: 0, stdout: '0\n' });

    for (const words of [['one'], ['two']]) await runMailbox(['send', plan, 'orch', ...words]);
    await runMailbox(['send', plan, 'orch'], { input: 'three' });
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ stdout: '3\n' });
    expect(await runMailbox(['drain', plan, 'orch'])).toMatchObject({
      code: 0,
      stdout: 'one\n---\ntwo\n---\nthree\n---\n',
    });
    expect(await runMailbox(['check', plan, 'orch'])).toMatchObject({ stdout: '0\n' });
    expect(await runMailbox(['drain', plan, 'orch'])).toMatchObject({ code: 0, stdout: '' });
    expect(await runMailbox(['recv', plan, 'orch', '1'])).toMatchObject({ code: 1, stdout: 'TIMEOUT\n' });
  });

  it('numbers sends in increasing order: sent:<target>:<seq>', async () => {
    const plan = await emptyPlanspace();
    for (let seq = 1; seq <= 4; seq += 1) {
      expect((await runMailbox(['send', plan, 'counted', `m${seq}`])).stdout).toBe(`sent:counted:${seq}\n`);
    }
    // Receiving does not reuse numbers.
    await runMailbox(['recv', plan, 'counted']);
    expect((await runMailbox(['send', plan, 'counted', 'm5'])).stdout).toBe('sent:counted:5\n');
    // Each mailbox has its own sequence.
    expect((await runMailbox(['send', plan, 'other', 'x'])).stdout).toBe('sent:other:1\n');
  });

  it('registers agents with their pid, lists them with liveness and pending counts, unregisters them', async () => {
    const plan = await emptyPlanspace();
    const before = Date.now();
    // The pid defaults to the process that ran the command: here, this test process.
    expect(await runMailbox(['register', plan, 'scan'])).toMatchObject({
      code: 0,
      stdout: `registered:scan:${process.pid}\n`,
    });
    const dead = await deadPid();
    expect(await runMailbox(['register', plan, 'gone', String(dead)])).toMatchObject({
      code: 0,
      stdout: `registered:gone:${dead}\n`,
    });
    await runMailbox(['send', plan, 'scan', 'a']);
    await runMailbox(['send', plan, 'scan', 'b']);
    // A mailbox without a registration is not an agent.
    await runMailbox(['send', plan, 'nobody', 'c']);

    const agents = await runMailbox(['agents', plan]);
    expect(agents.code).toBe(0);
    const lines = agents.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => AGENT_LINE.exec(line)?.slice(1, 5))).toEqual([
      ['gone', String(dead), 'dead', '0'],
      ['scan', String(process.pid), 'alive', '2'],
    ]);
    for (const line of lines) {
      const since = AGENT_LINE.exec(line)?.[5] ?? '';
      expect(new Date(since).toISOString()).toBe(since);
      expect(Date.parse(since)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(since)).toBeLessThanOrEqual(Date.now());
    }

    expect(await runMailbox(['unregister', plan, 'scan'])).toMatchObject({ code: 0, stdout: 'unregistered:scan\n' });
    expect((await runMailbox(['agents', plan])).stdout).toMatch(
      /^gone \| pid=\d+ \| status=dead \| pending=0 \| since=\S+\n$/,
    );
    // The mailbox and its messages stay.
    expect((await runMailbox(['check', plan, 'scan'])).stdout).toBe('2\n');
  });

  it('defaults the registered pid to the shell that ran `mailbox register`', async () => {
    const plan = await emptyPlanspace();
    // The shell runs mailbox as a child (it is not the last command, so no exec), then prints its own pid.
    const script = '"$1" "$2" register "$3" via-shell; echo "$$"';
    const { stdout } = await run('sh', ['-c', script, 'sh', process.execPath, MAILBOX_BIN, plan], { env: childEnv() });
    const [registered, shellPid, end] = stdout.split('\n');
    expect(end).toBe('');
    expect(shellPid).toMatch(/^\d+$/);
    expect(registered).toBe(`registered:via-shell:${shellPid ?? ''}`);
  });

  it('cleans up one mailbox, then all of them', async () => {
    const plan = await emptyPlanspace();
    await runMailbox(['send', plan, 'keep', 'x']);
    await runMailbox(['register', plan, 'drop']);
    await runMailbox(['send', plan, 'drop', 'y']);
    expect(await runMailbox(['cleanup', plan, 'drop'])).toMatchObject({ code: 0, stdout: 'cleaned:drop\n' });
    expect(await readdir(join(plan, 'mailboxes'))).toEqual(['keep']);
    expect((await runMailbox(['agents', plan])).stdout).toBe('');
    expect((await runMailbox(['check', plan, 'keep'])).stdout).toBe('1\n');
    expect(await runMailbox(['cleanup', plan])).toMatchObject({ code: 0, stdout: 'cleaned:all\n' });
    expect(await exists(join(plan, 'mailboxes'))).toBe(false);
    expect(await readdir(plan)).toEqual(['schedule.md']);
  });

  it('gives one JSON document with --json', async () => {
    const plan = await emptyPlanspace();
    const json = async (args: string[], input?: string): Promise<unknown> => {
      const result = await runMailbox([...args, '--json'], input === undefined ? {} : { input });
      return JSON.parse(result.stdout);
    };
    expect(await json(['register', plan, 'scan', '4242'])).toEqual({ name: 'scan', pid: 4242 });
    const sent = await json(['send', plan, 'scan', 'hello', 'there', '--from', 'orch']);
    expect(sent).toMatchObject({ target: 'scan', seq: 1, id: expect.any(String) as string });
    expect(await json(['check', plan, 'scan'])).toEqual({ name: 'scan', pending: 1 });
    expect(await json(['agents', plan])).toEqual([
      {
        name: 'scan',
        pid: 4242,
        status: expect.stringMatching(/^(alive|dead)$/) as string,
        pending: 1,
        since: expect.any(String) as string,
      },
    ]);
    expect(await json(['recv', plan, 'scan'])).toEqual({
      seq: 1,
      id: (sent as { id: string }).id,
      sender: 'orch',
      time: expect.any(String) as string,
      runId: null,
      body: 'hello there\n',
    });
    await runMailbox(['send', plan, 'scan', 'a']);
    await runMailbox(['send', plan, 'scan'], { input: 'b' });
    expect(await json(['drain', plan, 'scan'])).toMatchObject([
      { seq: 2, body: 'a\n' },
      { seq: 3, body: 'b' },
    ]);
    const timeout = await runMailbox(['recv', plan, 'scan', '1', '--json']);
    expect(timeout.code).toBe(1);
    expect(JSON.parse(timeout.stdout)).toEqual({ timeout: true });
    expect(await json(['unregister', plan, 'scan'])).toEqual({ name: 'scan' });
    expect(await json(['cleanup', plan, 'scan'])).toEqual({ cleaned: 'scan' });
    expect(await json(['cleanup', plan])).toEqual({ cleaned: 'all' });
  });

  it('`workflow mailbox send` behaves as `mailbox send`', async () => {
    const plan = await emptyPlanspace();
    expect(await runMailbox(['send', plan, 'orch', 'first'], { program: 'workflow' })).toMatchObject({
      code: 0,
      stdout: 'sent:orch:1\n',
      stderr: '',
    });
    expect(await runMailbox(['send', plan, 'orch', 'second'])).toMatchObject({ code: 0, stdout: 'sent:orch:2\n' });
    expect(await runMailbox(['send', plan, 'orch'], { program: 'workflow', input: 'third' })).toMatchObject({
      stdout: 'sent:orch:3\n',
    });
    expect(await runMailbox(['check', plan, 'orch'], { program: 'workflow' })).toMatchObject({ stdout: '3\n' });
    expect(await runMailbox(['recv', plan, 'orch'], { program: 'workflow' })).toMatchObject({ stdout: 'first\n' });
    expect(await runMailbox(['drain', plan, 'orch'])).toMatchObject({ stdout: 'second\n---\nthird\n---\n' });
    expect(await runMailbox(['send', plan, '..', 'x'], { program: 'workflow' })).toMatchObject({ code: 2, stdout: '' });
  });

  it('records --from, $WORKFLOW_AGENT and $WORKFLOW_RUN_ID in the envelope', async () => {
    const plan = await emptyPlanspace();
    await runMailbox(['send', plan, 'orch', 'plain']);
    await runMailbox(['send', plan, 'orch', 'named', '--from', 'scan']);
    await runMailbox(['send', plan, 'orch', 'dispatched'], {
      env: { WORKFLOW_AGENT: 'coder', WORKFLOW_RUN_ID: 'r-17' },
    });
    await runMailbox(['send', plan, 'orch', 'overridden', '--from', 'reviewer'], {
      env: { WORKFLOW_AGENT: 'coder', WORKFLOW_RUN_ID: 'r-18' },
    });
    const envelopes = [];
    for (let n = 0; n < 4; n += 1) {
      const { body, sender, runId, seq } = await receive(plan, 'orch', { timeoutMs: 10_000 });
      envelopes.push({ body: body.toString(), sender, runId, seq });
    }
    expect(envelopes).toEqual([
      { body: 'plain\n', sender: null, runId: null, seq: 1 },
      { body: 'named\n', sender: 'scan', runId: null, seq: 2 },
      { body: 'dispatched\n', sender: 'coder', runId: 'r-17', seq: 3 },
      { body: 'overridden\n', sender: 'reviewer', runId: 'r-18', seq: 4 },
    ]);
  });
});
