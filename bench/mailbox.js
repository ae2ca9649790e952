// Mailboxes: how fast a blocked receiver wakes when another process sends, through the library
// and through the CLI, how many messages per second 16 concurrent senders get through, and
// what `check` and `recv` cost after 100,000 messages (bench/mailbox-history.js).
// Baselines measured in the same run: raw `fs.watch` (the floor) and a receiver polling the
// folder every 500 ms (the old behaviour). Prints medians and spread, never a single timing.
//
//   node bench/mailbox.js [--runs N]      (default 200 wake samples per mechanism)
//   node bench/mailbox.js --only throughput [--rounds N]
//                                         (the throughput table alone: N rounds, default 5)
//
// Needs the built library (`npm run build`). `bench/run.js` (npm run bench) imports
// `measureMailbox` and gathers its section into BENCHMARKS.md. Helper processes are in
// bench/workers/.
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countPending } from '../dist/index.js';
import { measureMailboxHistory } from './mailbox-history.js';
import { now } from './workers/common.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const mailboxBin = join(root, 'bin', 'mailbox.js');
const worker = (name) => join(root, 'bench', 'workers', `${name}.js`);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rounds of the throughput measurement; it moves a lot with the load of this shared machine. */
const THROUGHPUT_ROUNDS = 5;

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p10: quantile(sorted, 0.1),
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
  };
}

/** Milliseconds with precision to match their size. */
function ms(value) {
  const digits = Math.abs(value) < 10 ? 2 : Math.abs(value) < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ms`;
}

const verdict = (ok) => (ok ? 'met' : 'missed');

/** Every child process the benchmark started, killed in `finally` whatever happened. */
const children = new Set();

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killChildren() {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/** A forked worker: send it messages, and await its answers by type. */
class Peer {
  #queue = [];
  #waiters = [];
  #handlers = new Map();
  #gone;

  constructor(label, script, args) {
    this.label = label;
    this.child = track(fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    this.child.on('message', (message) => {
      const handler = this.#handlers.get(message.type);
      if (handler) return handler(message);
      const at = this.#waiters.findIndex((waiter) => waiter.type === message.type);
      if (at === -1) return this.#queue.push(message);
      const [waiter] = this.#waiters.splice(at, 1);
      clearTimeout(waiter.timer);
      waiter.resolve(message);
    });
    this.child.on('exit', (code, signal) => {
      this.#gone = new Error(`${label} exited (${signal ?? code})`);
      for (const waiter of this.#waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(this.#gone);
      }
    });
  }

  send(message) {
    this.child.send(message);
  }

  /** Calls `handler` for every message of `type` instead of queueing it. */
  on(type, handler) {
    this.#handlers.set(type, handler);
  }

  /** The next message of `type`, waiting up to `timeoutMs`. */
  next(type, timeoutMs = 10_000) {
    const at = this.#queue.findIndex((message) => message.type === type);
    if (at !== -1) return Promise.resolve(this.#queue.splice(at, 1)[0]);
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise((resolve, reject) => {
      const waiter = { type, resolve, reject };
      waiter.timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`${this.label}: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}

/**
 * How far apart the clocks of this process and `peer` can be, in ms: the offset seen by the
 * fastest of 20 pings, plus half its round trip.
 */
async function clockError(peer) {
  let best = { rtt: Infinity, error: Infinity };
  for (let i = 0; i < 20; i += 1) {
    const before = now();
    peer.send({ type: 'ping' });
    const { at } = await peer.next('pong');
    const after = now();
    const rtt = after - before;
    if (rtt < best.rtt) best = { rtt, error: Math.abs(at - (before + after) / 2) + rtt / 2 };
  }
  return best.error;
}

/**
 * Wake latency, one message at a time: the receiver starts waiting, after `gap()` ms the
 * sender sends, and the receiver notes when it woke. Returns per-sample latencies from just
 * before and just after the send call, and the send call's own duration.
 */
async function wakeLatency({ label, receiverArgs, senderArgs, samples, gap, expectBody }) {
  const receiver = new Peer(`${label} receiver`, worker('latency-receiver'), receiverArgs);
  const sender = new Peer(`${label} sender`, worker('latency-sender'), senderArgs);
  try {
    await Promise.all([receiver.next('ready'), sender.next('ready')]);
    const clock = Math.max(await clockError(receiver), await clockError(sender));
    const before = [];
    const after = [];
    const sendTime = [];
    for (let i = 0; i < samples; i += 1) {
      receiver.send({ type: 'arm' });
      await receiver.next('armed');
      await sleep(gap());
      sender.send({ type: 'go', i });
      const [sent, woke] = await Promise.all([sender.next('sent'), receiver.next('woke')]);
      const want = expectBody(i);
      if (want !== null && woke.body !== want) {
        throw new Error(
          `${label}: sample ${i} received ${JSON.stringify(woke.body)}, expected ${JSON.stringify(want)}`,
        );
      }
      before.push(woke.at - sent.t0);
      after.push(woke.at - sent.t1);
      sendTime.push(sent.t1 - sent.t0);
    }
    return { before: summary(before), after: summary(after), send: summary(sendTime), clock };
  } finally {
    receiver.child.kill();
    sender.child.kill();
  }
}

/** One `mailbox recv` blocked for `startupMs`, then one `mailbox send`; times from the bench's view. */
async function cliSample(planspace, i, startupMs) {
  const body = `x${i}`;
  const recv = track(spawn(process.execPath, [mailboxBin, 'recv', planspace, 'cli', '30'], { stdio: 'pipe' }));
  let received = '';
  let printedAt;
  const printed = new Promise((resolve) => {
    recv.stdout.once('data', () => {
      printedAt = performance.now();
      resolve();
    });
  });
  recv.stdout.on('data', (chunk) => (received += chunk));
  recv.stderr.on('data', (chunk) => process.stderr.write(chunk));
  const recvExit = new Promise((resolve) => recv.once('exit', resolve));
  await sleep(startupMs);
  if (printedAt !== undefined || recv.exitCode !== null) throw new Error(`mailbox recv ended early: ${received}`);
  const sendStart = performance.now();
  const sender = track(spawn(process.execPath, [mailboxBin, 'send', planspace, 'cli', body], { stdio: 'pipe' }));
  let sent = '';
  sender.stdout.on('data', (chunk) => (sent += chunk));
  sender.stderr.on('data', (chunk) => process.stderr.write(chunk));
  let exitAt;
  const senderExit = new Promise((resolve) => {
    sender.once('exit', (code) => {
      exitAt = performance.now();
      resolve(code);
    });
  });
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error('mailbox recv/send took over 35 s'));
    }, 35_000);
  });
  const [recvCode, sendCode] = await Promise.race([Promise.all([recvExit, senderExit, printed]), timeout]).finally(
    () => {
      clearTimeout(timer);
    },
  );
  if (recvCode !== 0 || sendCode !== 0 || received !== `${body}\n` || !sent.startsWith('sent:cli:')) {
    throw new Error(
      `CLI sample ${i}: recv exit ${recvCode} printed ${JSON.stringify(received)}; send exit ${sendCode}`,
    );
  }
  return { afterExit: printedAt - exitAt, afterSpawn: printedAt - sendStart };
}

/** Starts `count` workers and waits until each is ready. */
async function startPeers(count, label, script, args) {
  const peers = [];
  for (let i = 0; i < count; i += 1) peers.push(new Peer(`${label} ${i}`, script, args(i)));
  await Promise.all(peers.map((peer) => peer.next('ready', 30_000)));
  return peers;
}

/**
 * The floor for throughput: `senderCount` processes x `perSender` `appendFile` calls of one
 * line each to one file, no receivers; rate = lines / time from the first append to the last.
 */
async function appendThroughput(file, { senderCount, perSender }) {
  const total = senderCount * perSender;
  let senders = [];
  try {
    senders = await startPeers(senderCount, 'append sender', worker('throughput-sender'), (s) => [
      'append',
      file,
      '-',
      String(s),
      String(perSender),
    ]);
    for (const peer of senders) peer.send({ type: 'go' });
    const done = await Promise.all(senders.map((peer) => peer.next('done', 120_000)));
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    if (lines !== total) throw new Error(`${file}: ${lines} lines, expected ${total}`);
    const wallMs = Math.max(...done.map((d) => d.end)) - Math.min(...done.map((d) => d.start));
    return { total, wallMs, perSecond: total / (wallMs / 1000) };
  } finally {
    for (const peer of senders) peer.child.kill();
  }
}

/**
 * `senderCount` processes x `perSender` `send()` calls into one mailbox, drained concurrently
 * by `receiverCount` processes; rate = messages / time from the first send to the last receive.
 */
async function mailboxThroughput(planspace, name, { senderCount, perSender, receiverCount }) {
  const total = senderCount * perSender;
  let receivers = [];
  let senders = [];
  try {
    receivers = await startPeers(receiverCount, 'receiver', worker('throughput-receiver'), () => [planspace, name]);
    const counts = receivers.map(() => 0);
    receivers.forEach((peer, r) => {
      peer.on('progress', ({ count }) => (counts[r] = count));
    });
    senders = await startPeers(senderCount, 'sender', worker('throughput-sender'), (s) => [
      'library',
      planspace,
      name,
      String(s),
      String(perSender),
    ]);
    for (const peer of senders) peer.send({ type: 'go' });
    const done = await Promise.all(senders.map((peer) => peer.next('done', 120_000)));
    // Wait until the receivers have all the messages and the mailbox is empty (a duplicate
    // would make the count reach the total early); give up if nothing moves for 3 s.
    let seen = -1;
    let still = now();
    for (;;) {
      const sum = counts.reduce((a, b) => a + b, 0);
      if (sum >= total && (await countPending(planspace, name)) === 0) break;
      if (sum !== seen) [seen, still] = [sum, now()];
      else if (now() - still > 3000) break;
      await sleep(20);
    }
    await sleep(300); // a duplicate would arrive now
    for (const peer of receivers) peer.send({ type: 'stop' });
    const results = await Promise.all(receivers.map((peer) => peer.next('result', 10_000)));

    const expected = new Set();
    for (let s = 0; s < senderCount; s += 1) for (let k = 0; k < perSender; k += 1) expected.add(`${s}:${k}`);
    const received = results.flatMap((result) => result.bodies);
    const unique = new Set(received);
    // claimNext scans the journal forwards: each receiver should see increasing sequence numbers.
    const outOfOrder = results.reduce(
      (sum, { seqs }) => sum + seqs.filter((seq, i) => i > 0 && seq <= seqs[i - 1]).length,
      0,
    );
    const start = Math.min(...done.map((d) => d.start));
    const end = Math.max(...results.map((result) => result.last));
    return {
      total,
      wallMs: end - start,
      sendMs: Math.max(...done.map((d) => d.end)) - start,
      perSecond: total / ((end - start) / 1000),
      lost: [...expected].filter((body) => !unique.has(body)).length,
      duplicated: received.length - unique.size,
      unexpected: [...unique].filter((body) => !expected.has(body)).length,
      outOfOrder,
      pending: await countPending(planspace, name),
      shares: results.map((result) => result.bodies.length),
    };
  } finally {
    for (const peer of [...senders, ...receivers]) peer.child.kill();
  }
}

/**
 * The throughput rounds: `rounds` interleaved rounds of the `appendFile` floor and of the
 * mailbox (a fresh one each round), under `load`.
 * @param {string} planspace - the bench's planspace.
 * @param {string} rawDir - a folder for the floor's files.
 * @param {{ senderCount: number, perSender: number, receiverCount: number }} load
 * @param {number} rounds
 * @returns {Promise<string[]>} markdown lines: method, table, summary.
 */
async function measureThroughput(planspace, rawDir, load, rounds) {
  // Throughput moves a lot with the machine's load: several interleaved rounds, median.
  const floors = [];
  const flows = [];
  for (let round = 0; round < rounds; round += 1) {
    floors.push(await appendThroughput(join(rawDir, `lines-${round}`), load));
    flows.push(await mailboxThroughput(planspace, `load-${round}`, load));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const spread = (values) => `${Math.round(Math.min(...values))}-${Math.round(Math.max(...values))}`;
  const floor = { total: floors[0].total, perSecond: median(floors.map((f) => f.perSecond)) };
  floor.wallMs = (floor.total / floor.perSecond) * 1000;
  const flow = {
    total: flows[0].total,
    perSecond: median(flows.map((f) => f.perSecond)),
    sendsPerSecond: median(flows.map((f) => f.total / (f.sendMs / 1000))),
    lost: flows.reduce((sum, f) => sum + f.lost, 0),
    duplicated: flows.reduce((sum, f) => sum + f.duplicated, 0),
    outOfOrder: flows.reduce((sum, f) => sum + f.outOfOrder, 0),
    unexpected: flows.reduce((sum, f) => sum + f.unexpected, 0),
    pending: flows.reduce((sum, f) => sum + f.pending, 0),
  };
  flow.wallMs = (flow.total / flow.perSecond) * 1000;

  const flowGoal =
    `>= 2,000/s (${verdict(flow.perSecond >= 2000)}), 0 lost (${verdict(flow.lost === 0)}), ` +
    `0 duplicated (${verdict(flow.duplicated === 0)})`;
  return [
    `Throughput: ${load.senderCount} sender processes each sending ${load.perSender} messages one after another ` +
      `through \`send()\` into one mailbox, with ${load.receiverCount} receiver processes draining it ` +
      `concurrently through \`openInbox\` + \`inbox.next()\`; rate = messages / time from the first send to the ` +
      `last receive. Every body is unique, so lost and duplicated messages are counted by body. Baseline: the same ` +
      `sender processes each appending ${load.perSender} lines to one file with \`appendFile\`, no receiver. ` +
      `${rounds} interleaved rounds of each, a fresh mailbox per round: median (min-max); lost and ` +
      `duplicated summed over all rounds.`,
    '',
    '| workload | messages | wall time (median) | messages/s | ratio to floor | lost | duplicated | goal |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    `| ${load.senderCount} processes \`appendFile\` a line (floor) | ${floor.total} | ${ms(floor.wallMs)} | ` +
      `${Math.round(floor.perSecond)} (${spread(floors.map((f) => f.perSecond))}) | 1.00 | | | |`,
    `| ${load.senderCount} processes \`send()\`, ${load.receiverCount} receivers | ${flow.total} | ` +
      `${ms(flow.wallMs)} | ${Math.round(flow.perSecond)} (${spread(flows.map((f) => f.perSecond))}) | ` +
      `${(flow.perSecond / floor.perSecond).toFixed(2)} | ${flow.lost} | ${flow.duplicated} | ${flowGoal} |`,
    '',
    `Over the ${rounds} rounds: the senders alone managed a median ${Math.round(flow.sendsPerSecond)} ` +
      `sends/s; ${flow.outOfOrder} receipts out of sequence order within a receiver; ${flow.unexpected} unexpected ` +
      `bodies; ${flow.pending} messages left pending.`,
  ];
}

/**
 * Runs the benchmark.
 * @param {{ runs?: number, only?: 'throughput', rounds?: number }} options - `runs`: wake
 *   samples per mechanism (default 200); the polling receiver, the history rounds and the CLI
 *   take fewer (runs / 5, runs / 5 and runs / 10), their samples being slow. `only:
 *   'throughput'` measures the throughput alone (to compare two builds of the mailbox without
 *   the minutes the rest takes); `rounds`: its rounds (default 5).
 * @returns {Promise<string>} markdown sections: heading, method, tables.
 */
export async function measureMailbox({ runs = 200, only, rounds = THROUGHPUT_ROUNDS } = {}) {
  const pollSamples = Math.max(10, Math.round(runs / 5));
  const cliSamples = Math.max(5, Math.round(runs / 10));
  const cliStartupMs = 1000;
  const load = { senderCount: 16, perSender: 250, receiverCount: 3 };
  const planspace = mkdtempSync(join(tmpdir(), 'planspace-bench-mailbox-'));
  // A planspace is a folder with a schedule: the mailbox verbs refuse any other folder.
  writeFileSync(join(planspace, 'schedule.md'), '# Schedule: bench\n');
  try {
    // The same kind of folder as a mailbox: raw fs.watch on a journal-like file, polling on a
    // messages-like folder.
    const rawDir = join(planspace, 'mailboxes', 'raw');
    const rawFile = join(rawDir, 'journal');
    const pollDir = join(planspace, 'mailboxes', 'poll', 'messages');
    mkdirSync(rawDir, { recursive: true, mode: 0o700 });
    mkdirSync(pollDir, { recursive: true, mode: 0o700 });
    writeFileSync(rawFile, '');

    if (only === 'throughput') {
      const table = await measureThroughput(planspace, rawDir, load, rounds);
      return [
        '## Mailbox throughput',
        '',
        `\`node bench/mailbox.js --only throughput --rounds ${rounds}\`.`,
        '',
        ...table,
      ].join('\n');
    }
    if (only !== undefined) throw new Error(`--only: unknown part ${JSON.stringify(only)} (known: throughput)`);

    const gap = () => 20;
    const raw = await wakeLatency({
      label: 'fs.watch',
      receiverArgs: ['fswatch', rawFile],
      senderArgs: ['append', rawFile],
      samples: runs,
      gap,
      expectBody: () => null,
    });
    const library = await wakeLatency({
      label: 'library',
      receiverArgs: ['library', planspace, 'wake'],
      senderArgs: ['library', planspace, 'wake'],
      samples: runs,
      gap,
      expectBody: (i) => `${i}\n`,
    });
    // A random gap spreads the sends evenly over the 500 ms polling period.
    const poll = await wakeLatency({
      label: 'polling',
      receiverArgs: ['poll', pollDir],
      senderArgs: ['file', pollDir],
      samples: pollSamples,
      gap: () => Math.random() * 500,
      expectBody: (i) => `m${i}`,
    });

    const cli = [];
    for (let i = 0; i < cliSamples; i += 1) cli.push(await cliSample(planspace, i, cliStartupMs));
    const cliExit = summary(cli.map((sample) => sample.afterExit));
    const cliSpawn = summary(cli.map((sample) => sample.afterSpawn));

    const throughput = await measureThroughput(planspace, rawDir, load, rounds);

    const clock = Math.max(raw.clock, library.clock, poll.clock);
    const ratio = (row) => `${(row.p50 / raw.before.p50).toFixed(1)}x`;
    const wakeRow = (mechanism, from, s, ratioText, goal = '') =>
      `| ${mechanism} | ${from} | ${ms(s.p50)} | ${ms(s.p99)} | ${ratioText} | ${goal} |`;
    const libraryName = 'library: `send()` to `openInbox` + `inbox.next()`';
    const libraryGoal =
      `p50 <= 5 ms (${verdict(library.after.p50 <= 5)}), ` + `p99 <= 20 ms (${verdict(library.after.p99 <= 20)})`;
    const lines = [
      '## Mailboxes',
      '',
      `\`node bench/mailbox.js --runs ${runs}\`. Wake latency: a receiver process waiting, and a separate ` +
        `long-lived sender process that sends one message when told, ${gap()} ms after the receiver started waiting ` +
        `(uniformly 0-500 ms for the polling receiver, to spread sends over its period); latency = the receiver's ` +
        `time on waking minus the sender's time just before, or just after, its send call, on the clock ` +
        `\`performance.timeOrigin + performance.now()\` both processes share (they agreed within ` +
        `${clock.toFixed(2)} ms by IPC ping). Baselines in the same run: raw \`fs.watch\` on a file in a ` +
        `mailbox-like folder with the sender appending a line (the floor), and a receiver calling \`readdir\` every ` +
        `500 ms with the sender writing a file (the old behaviour). ${runs} samples each (polling: ${pollSamples}); ` +
        `p50 and p99; ratios compare whole paths (from before the call). A negative latency from after the call ` +
        `means the receiver woke before the call returned.`,
      '',
      '| mechanism | from | p50 | p99 | p50 / raw fs.watch | goal |',
      '|---|---|---:|---:|---:|---|',
      wakeRow('raw `fs.watch` + `appendFile` (floor)', 'before the call', raw.before, '1.0x'),
      wakeRow('raw `fs.watch` + `appendFile` (floor)', 'after the call', raw.after, ''),
      wakeRow(libraryName, 'before the call', library.before, ratio(library.before)),
      wakeRow(libraryName, 'after the call', library.after, '', libraryGoal),
      wakeRow('polling: `readdir` every 500 ms (old)', 'before the call', poll.before, ratio(poll.before)),
      '',
      `The call itself (p50, p99): \`send()\` ${ms(library.send.p50)}, ${ms(library.send.p99)}; ` +
        `\`appendFile\` ${ms(raw.send.p50)}, ${ms(raw.send.p99)}.`,
      '',
      `CLI: \`mailbox recv <ps> <name> 30\` started and given ${cliStartupMs} ms to block, then \`mailbox send ` +
        `<ps> <name> x\` run as a child process; latency = from the send process's exit (or spawn) to the first ` +
        `byte recv printed, both seen by the benchmark process. ${cliSamples} samples; median (p10-p90).`,
      '',
      '| command | from | median | p10-p90 | goal |',
      '|---|---|---:|---:|---|',
      `| \`mailbox recv\` woken by \`mailbox send\` | send process exited | ${ms(cliExit.p50)} | ` +
        `${ms(cliExit.p10)} to ${ms(cliExit.p90)} | median <= 30 ms (${verdict(cliExit.p50 <= 30)}) |`,
      `| \`mailbox recv\` woken by \`mailbox send\` | send process spawned | ${ms(cliSpawn.p50)} | ` +
        `${ms(cliSpawn.p10)} to ${ms(cliSpawn.p90)} | |`,
      '',
      ...throughput,
    ];
    const history = await measureMailboxHistory({ runs: pollSamples });
    return [...lines, '', history].join('\n');
  } finally {
    killChildren();
    rmSync(planspace, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const option = (name) => {
    const at = process.argv.indexOf(name);
    return at === -1 ? undefined : process.argv[at + 1];
  };
  const runs = option('--runs');
  const rounds = option('--rounds');
  console.log(
    await measureMailbox({
      runs: runs === undefined ? 200 : Number(runs),
      only: option('--only'),
      rounds: rounds === undefined ? THROUGHPUT_ROUNDS : Number(rounds),
    }),
  );
}
