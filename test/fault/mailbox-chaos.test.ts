/**
 * Mailbox chaos: sender processes send to one mailbox while its receiver processes are
 * SIGKILLed at random moments (some kill themselves right after a claim, at the
 * `mailbox-after-claim` fault point) and replaced; then one clean receiver drains what is left.
 * A full accounting from the senders' reports, the receivers' records (written before each
 * acknowledgement) and the claims log: every message delivered at least once, none corrupted,
 * none unknown, a second delivery only of a message whose receiver died with it in hand, fresh
 * claims in delivery order, nothing left pending or stored.
 */
import { linkSync, mkdirSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isErrno } from '../../src/errors.js';
import { GONE, readLog } from '../../src/mailbox/segments.js';
import { makeTree, readJsonLines, runMailbox } from '../helpers.js';
import { killWorker, startWorker, type Worker } from './workers.js';

const SENDERS = 12;
const MESSAGES = 30;
/**
 * The longest pause (ms) of a sender between two sends: the sending lasts several seconds, so
 * that receivers, which take a second or two to start on a loaded machine, die many times.
 */
const MAX_PAUSE_MS = 400;
/** Receivers alive at once while the senders send. */
const RECEIVERS = 3;
/** Every this many replacement receivers, starting with the first, one kills itself at its first claim. */
const FAULTY_EVERY = 3;

interface Sent {
  readonly index: number;
  readonly seq: number;
  readonly bytes: number;
  readonly sha256: string;
}

interface Received {
  readonly pid: number;
  readonly seq: number;
  readonly sender: string | null;
  readonly bytes: number;
  readonly sha256: string;
  readonly header: string;
  readonly intact: boolean;
}

/** Parses a JSON-lines file written by the receivers; a missing file is empty. */
function readRecords(path: string): Promise<Received[]> {
  // A receiver killed before its first message never made its file.
  return readJsonLines<Received>(path);
}

/**
 * The claims of the claims log, in log order (`c <seq base 36> <owner> <previous owner or -> <tag>`,
 * see src/mailbox/reader.ts): the one record of who claimed what, taken over from whom.
 */
/**
 * Keeps every segment of the hub's claims log: links each, as it appears, into `keep` (the
 * mailbox deletes segments once checkpoints cover them; this test reads the whole log).
 */
function keepClaims(plan: string, keep: string): () => void {
  const dir = join(plan, 'mailboxes', 'hub');
  mkdirSync(keep, { recursive: true });
  const link = (name: string, as = name): void => {
    try {
      linkSync(join(dir, name), join(keep, as));
    } catch (error) {
      if (!isErrno(error, 'EEXIST') && !isErrno(error, 'ENOENT')) throw error;
    }
  };
  const timer = setInterval(() => {
    for (const name of readdirSync(dir)) if (/^claims\.[0-9a-z]+$/.test(name)) link(name);
  }, 10);
  timer.unref();
  return () => {
    clearInterval(timer);
    for (const name of readdirSync(dir)) if (/^claims\.[0-9a-z]+$/.test(name)) link(name);
    link('claims');
  };
}

/** Claims in the kept claims log, in log order. */
function readClaims(keep: string): { seq: number; owner: string; previous: string }[] {
  const window = readLog(join(keep, 'claims'), 0);
  if (window === GONE) throw new Error('a claims log segment was not kept');
  return window.records
    .filter(([kind]) => kind === 'c')
    .map(([, seq = '', owner = '', previous = '']) => ({ seq: parseInt(seq, 36), owner, previous }));
}

/** The pid in a mailbox process key, `<pid base 36>.<random>`. */
function pidOfKey(key: string): number {
  return parseInt(key.slice(0, key.indexOf('.')), 36);
}

describe('mailbox chaos', () => {
  it(`${SENDERS} senders x ${MESSAGES} messages while receivers are SIGKILLed at random: every message delivered, none corrupted`, async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: chaos\n' });
    const records = await makeTree({});
    const receivers = new Set<Worker>();
    /** Receivers that will kill themselves at their first claim. */
    const faultyOnes = new Set<Worker>();
    const recordFiles: string[] = [];
    /** Pids of receivers that died: killed by the test or at their fault point. */
    const killed = new Set<number>();
    let faultDeaths = 0;
    const startReceiver = (faulty: boolean): void => {
      const file = join(records, `receiver-${recordFiles.length}.jsonl`);
      recordFiles.push(file);
      const env: Record<string, string> = faulty ? { PLANSPACE_FAULT: 'mailbox-after-claim' } : {};
      const worker = startWorker('chaos-receiver.js', [plan, 'hub', file], 'ready', env);
      receivers.add(worker);
      if (faulty) faultyOnes.add(worker);
    };
    for (let n = 0; n < RECEIVERS; n += 1) startReceiver(false);
    await Promise.all([...receivers].map((worker) => worker.ready));
    const keep = join(records, 'kept');
    const stopKeeping = keepClaims(plan, keep);

    const senders = Array.from({ length: SENDERS }, (_, id) =>
      startWorker('chaos-sender.js', [plan, 'hub', String(id), String(MESSAGES), String(MAX_PAUSE_MS)], 'ready'),
    );
    await Promise.all(senders.map((worker) => worker.ready));
    const started = performance.now();
    for (const sender of senders) sender.child.stdin.end('go\n');
    const sending = Promise.all(senders.map((worker) => worker.exited));
    const progress = { sendersDone: false };
    void sending.then(() => {
      progress.sendersDone = true;
    });

    // The chaos: every 50 to 300 ms, SIGKILL a random receiver that is receiving and start
    // another; replace the ones that killed themselves at their fault point.
    while (!progress.sendersDone) {
      await sleep(50 + Math.random() * 250);
      for (const worker of receivers) {
        if (!worker.hasExited()) continue;
        const { signal, stderr } = await worker.exited;
        expect(signal, stderr).toBe('SIGKILL');
        receivers.delete(worker);
        killed.add(worker.pid);
        faultDeaths += 1;
      }
      const live = [...receivers].filter((worker) => worker.isReady() && !faultyOnes.has(worker));
      const victim = live[Math.floor(Math.random() * live.length)];
      if (victim) {
        killed.add(victim.pid);
        receivers.delete(victim);
        await killWorker(victim);
      }
      while (receivers.size < RECEIVERS) startReceiver((recordFiles.length - RECEIVERS) % FAULTY_EVERY === 0);
    }
    for (const { code, stderr } of await sending) expect(code, stderr).toBe(0);
    const sendingSeconds = ((performance.now() - started) / 1000).toFixed(1);
    // The last receivers die too, whatever they hold; the clean drain below must find it.
    for (const worker of receivers) {
      killed.add(worker.pid);
      await killWorker(worker);
    }
    receivers.clear();
    const drainFile = join(records, 'drain.jsonl');
    const drainer = startWorker('chaos-receiver.js', [plan, 'hub', drainFile, '--drain'], 'ready');
    const drained = await drainer.exited;
    expect(drained.code, drained.stderr).toBe(0);

    // What was sent, by sequence number; a sender's sends complete in order.
    const sentBySeq = new Map<number, Sent & { sender: number }>();
    for (const [sender, worker] of senders.entries()) {
      const sent = worker.lines.map((line) => JSON.parse(line) as Sent);
      expect(sent.map((line) => line.index)).toEqual(Array.from({ length: MESSAGES }, (_, i) => i));
      const seqs = sent.map((line) => line.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      for (const line of sent) sentBySeq.set(line.seq, { ...line, sender });
    }
    const total = SENDERS * MESSAGES;
    expect([...sentBySeq.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const large = [...sentBySeq.values()].filter((sent) => sent.bytes > 64 * 1024).length;

    // What was received, checked against what was sent.
    const received = (await Promise.all([...recordFiles, drainFile].map(readRecords))).flat();
    const bySeq = new Map<number, Received[]>();
    let corrupted = 0;
    let unknown = 0;
    for (const record of received) {
      const sent = sentBySeq.get(record.seq);
      if (!sent) unknown += 1;
      else if (
        !record.intact ||
        record.sha256 !== sent.sha256 ||
        record.bytes !== sent.bytes ||
        record.sender !== `sender-${sent.sender}` ||
        !record.header.startsWith(`chaos ${sent.sender} ${sent.index} `)
      ) {
        corrupted += 1;
      }
      bySeq.set(record.seq, [...(bySeq.get(record.seq) ?? []), record]);
    }
    const lost = [...sentBySeq.keys()].filter((seq) => !bySeq.has(seq));

    // A message is received twice only if a receiver died with it in hand: recorded, not yet
    // acknowledged. Such a receiver handles one message at a time, so it is its last record.
    // Every copy but one must be such a record; the one that was acknowledged may be the last
    // record of a receiver killed later too, when nothing more came.
    const lastRecordOf = new Map<number, Received>();
    for (const record of received) lastRecordOf.set(record.pid, record);
    let seenTwice = 0;
    for (const [seq, copies] of bySeq) {
      if (copies.length === 1) continue;
      seenTwice += copies.length - 1;
      const byDeadHands = copies.filter((copy) => killed.has(copy.pid) && lastRecordOf.get(copy.pid) === copy);
      expect(
        byDeadHands.length,
        `seq ${seq} received by ${copies.map((c) => c.pid).join(', ')}`,
      ).toBeGreaterThanOrEqual(copies.length - 1);
    }

    // Redeliveries: claims taken over from a previous owner, who must be a receiver that died.
    stopKeeping();
    const claims = readClaims(keep);
    const takeovers = new Set<string>();
    for (const claim of claims.filter(({ previous }) => previous !== '-')) {
      expect(killed.has(pidOfKey(claim.previous)), `seq ${claim.seq} taken over from ${claim.previous}`).toBe(true);
      takeovers.add(`${claim.seq} ${claim.previous}`);
    }
    // The first claim of each message is a fresh one, made in delivery (journal) order.
    const firstClaims: number[] = [];
    const claimed = new Set<number>();
    for (const claim of claims) {
      if (claimed.has(claim.seq)) continue;
      claimed.add(claim.seq);
      expect(claim.previous).toBe('-');
      firstClaims.push(claim.seq);
    }
    expect(firstClaims).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    console.log(
      `mailbox chaos: ${SENDERS} senders, ${total} messages (${large} over 64 KiB), ${killed.size} receivers killed ` +
        `(${faultDeaths} at the fault point), ${takeovers.size} redelivered (${seenTwice} received twice), ` +
        `${lost.length} lost, ${corrupted} corrupted, ${unknown} unknown (${sendingSeconds} s of sending)`,
    );
    expect({ lost, corrupted, unknown }).toEqual({ lost: [], corrupted: 0, unknown: 0 });
    // The chaos did happen: receivers died holding messages, which were delivered again.
    expect(killed.size).toBeGreaterThan(0);
    expect(takeovers.size).toBeGreaterThan(0);
    expect(await runMailbox(['check', plan, 'hub'])).toMatchObject({ code: 0, stdout: '0\n' });
    // Every message acknowledged and every writer gone: no message data is left behind.
    expect(await readdir(join(plan, 'mailboxes', 'hub', 'data'))).toEqual([]);
  }, 120_000);
});
