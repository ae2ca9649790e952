/**
 * Real processes racing on one mailbox: 64 sender processes and 4 competing receiver
 * processes. Every message is received exactly once, whole, and in the order its sender sent it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { countPending, send } from '../../src/index.js';
import { childEnv, makeTree, ROOT } from '../helpers.js';

const SENDERS = 64;
const MESSAGES = 50;
const RECEIVERS = 4;

/** A fixture program running as a child process, its standard output collected by line. */
interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  /** Lines printed after `ready`. */
  readonly lines: string[];
  /** Resolves when the worker has printed `ready`. */
  readonly ready: Promise<void>;
  /** Resolves when the worker has exited, with its exit code, or its signal, and its stderr. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

afterEach(() => {
  // A failed test must not leave workers behind.
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

function startWorker(script: string, args: readonly string[]): Worker {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'fixtures', 'bin', script), ...args], {
    env: childEnv(),
  });
  running.add(child);
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stderr });
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') resolve();
      else lines.push(line);
    });
    void exited.then(({ code, signal }) => {
      reject(new Error(`${script} exited (${String(code ?? signal)}) before it was ready: ${stderr}`));
    });
  });
  return { child, lines, ready, exited };
}

interface SentLine {
  readonly index: number;
  readonly seq: number;
  readonly body: string;
}

interface ReceivedLine {
  readonly seq: number;
  readonly sender: string | null;
  readonly body: string;
}

describe('many processes on one mailbox', () => {
  // Starting 68 Node processes takes most of the time; on a machine busy with other work it can
  // take far longer than the usual 60 s test timeout allows.
  it(`${SENDERS} sender processes x ${MESSAGES} messages, ${RECEIVERS} receiver processes: each message received once, whole, in its sender's order`, async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: race\n' });
    const launched = performance.now();
    const receivers = Array.from({ length: RECEIVERS }, () => startWorker('mailbox-receiver.js', [plan, 'hub']));
    await Promise.all(receivers.map((worker) => worker.ready));
    const senders = Array.from({ length: SENDERS }, (_, n) =>
      startWorker('mailbox-sender.js', [plan, 'hub', String(n), String(MESSAGES)]),
    );
    await Promise.all(senders.map((worker) => worker.ready));
    const started = performance.now();
    for (const sender of senders) sender.child.stdin.end('go\n');
    for (const { code, stderr } of await Promise.all(senders.map((worker) => worker.exited))) {
      expect(code, stderr).toBe(0);
    }
    // Every data message is ahead of the stops in the journal, so a receiver reaches its stop
    // only once every data message has been claimed.
    for (let n = 0; n < RECEIVERS; n += 1) await send(plan, 'hub', 'stop');
    for (const { code, stderr } of await Promise.all(receivers.map((worker) => worker.exited))) {
      expect(code, stderr).toBe(0);
    }
    const seconds = (from: number, to: number): string => `${((to - from) / 1000).toFixed(1)} s`;
    const finished = performance.now();

    // What each sender says it sent, by sequence number.
    const sentBySeq = new Map<number, { sender: number; index: number; body: string }>();
    for (const [sender, worker] of senders.entries()) {
      const sent = worker.lines.map((line) => JSON.parse(line) as SentLine);
      expect(sent.map((line) => line.index)).toEqual(Array.from({ length: MESSAGES }, (_, i) => i));
      // One sender's sends complete one after another, so their sequence numbers increase.
      const seqs = sent.map((line) => line.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      for (const line of sent) sentBySeq.set(line.seq, { sender, index: line.index, body: line.body });
    }
    expect(sentBySeq.size).toBe(SENDERS * MESSAGES);
    expect([...sentBySeq.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: SENDERS * MESSAGES }, (_, i) => i + 1),
    );

    const received = receivers.map((worker) => worker.lines.map((line) => JSON.parse(line) as ReceivedLine));
    const counts = received.map((lines) => lines.length);
    console.log(
      `mailbox race: ${SENDERS} senders x ${MESSAGES} messages = ${SENDERS * MESSAGES} sent, ` +
        `${RECEIVERS} receivers got ${counts.join(' + ')} = ${counts.reduce((a, b) => a + b, 0)}; ` +
        `${seconds(launched, started)} to start the processes, ${seconds(started, finished)} to send and receive`,
    );
    // Each receiver claims in delivery order.
    for (const lines of received) {
      const seqs = lines.map((line) => line.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const all = received.flat().sort((a, b) => a.seq - b.seq);
    // No loss, no duplicate.
    expect(all.map((line) => line.seq)).toEqual(Array.from({ length: SENDERS * MESSAGES }, (_, i) => i + 1));
    const lastIndex = new Map<number, number>();
    for (const line of all) {
      const sent = sentBySeq.get(line.seq);
      expect(sent, `seq ${line.seq}`).toBeDefined();
      if (!sent) continue;
      // Whole and unmixed: the bytes the sender sent, from the sender the envelope names.
      expect(line.body, `seq ${line.seq}`).toBe(sent.body);
      expect(Buffer.from(line.body, 'base64').toString()).toMatch(
        new RegExp(`^sender ${sent.sender} message ${sent.index} `),
      );
      expect(line.sender).toBe(`sender-${sent.sender}`);
      // A sender's messages come in the order it sent them.
      expect(sent.index).toBe((lastIndex.get(sent.sender) ?? -1) + 1);
      lastIndex.set(sent.sender, sent.index);
    }
    expect(await countPending(plan, 'hub')).toBe(0);
    // Every message is consumed and every sender process is gone: their data files are
    // deleted. Only the file of this process, which sent the stops and is alive, is left.
    const left = await readdir(join(plan, 'mailboxes', 'hub', 'data'));
    expect(left.map((file) => parseInt(file.slice(0, file.indexOf('.')), 36))).toEqual([process.pid]);
  }, 180_000);
});
