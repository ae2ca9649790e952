// Mailbox backlog: what one receive costs when many messages wait unread, against the same
// receive on a mailbox with 10 waiting (the baseline, measured in the same run, interleaved).
// Three mailboxes: 10, 1,000 and 100,000 messages waiting. Two ways to receive, as users do:
// `receive()` of the library in this process (it opens a reader, claims one message,
// acknowledges it and closes the reader), and `mailbox recv` as a process (spawn to exit).
// Each round sends every mailbox as many messages as it receives from it: the backlogs stay.
//
//   node bench/mailbox-backlog.js [--runs N]   (default 40 rounds: 200 `receive()` and 40 `mailbox recv`
//                                              samples per mailbox)
//
// The backlogs are generated as bench/mailbox-history.js generates its history: the bytes
// `send` writes (src/mailbox/send.ts), from sender processes that have exited (pids above
// 2^22), 100 messages each, the journal records appended through the library's own log append.
//
// Needs the built library (`npm run build`). `bench/run.js` (npm run bench) includes this section.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countPending, encodeMessage, ensureMailbox, mailboxPaths, receive, send } from '../dist/index.js';
import { encodeDelivery } from '../dist/mailbox/journal.js';
import { appendToLog } from '../dist/mailbox/segments.js';
import { percentiles, shuffled } from './stats.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const mailboxBin = join(root, 'bin', 'mailbox.js');

/** The first pid of a simulated sender: above 2^22, the largest pid Linux hands out. */
const DEAD_PID = 2 ** 22 + 1;
const PER_SENDER = 100;

/** `receive()` samples per mailbox per round: they are cheap, and the machine is noisy. */
const LIBRARY_PER_ROUND = 5;

/** The goal: a receive with 100,000 waiting costs at most this many times one with 10 waiting. */
const GOAL = 1.5;

/** Delivers `count` messages to mailbox `name` as exited senders, `PER_SENDER` each, would have. */
async function generate(planspace, name, count) {
  const paths = mailboxPaths(planspace, name);
  await ensureMailbox(planspace, paths);
  const journal = [];
  for (let s = 0; s * PER_SENDER < count; s += 1) {
    const key = `${(DEAD_PID + s).toString(36)}.${s.toString(36).padStart(6, '0')}`;
    const envelopes = [];
    let offset = 0;
    for (let m = 1; m <= Math.min(PER_SENDER, count - s * PER_SENDER); m += 1) {
      const id = `${key}.${m.toString(36)}`;
      const time = new Date().toISOString();
      const envelope = encodeMessage({ id, sender: 'agent', time, runId: null }, Buffer.from(`backlog ${s}:${m}\n`));
      envelopes.push(envelope);
      journal.push(encodeDelivery(id, false, offset, envelope.length));
      offset += envelope.length;
    }
    writeFileSync(join(paths.data, key), Buffer.concat(envelopes), { mode: 0o600 });
  }
  for (const record of journal) appendToLog(paths.journal, record);
}

const ms = (value) => `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ms`;

/**
 * Runs the benchmark.
 * @param {{ runs?: number }} options - samples of each way to receive on each mailbox (default 40).
 * @returns {Promise<string>} a markdown section: heading, method, table.
 */
export async function measureMailboxBacklog({ runs = 40 } = {}) {
  const planspace = mkdtempSync(join(tmpdir(), 'planspace-bench-backlog-'));
  // A planspace is a folder with a schedule: the mailbox verbs refuse any other folder.
  writeFileSync(join(planspace, 'schedule.md'), '# Schedule: bench\n');
  try {
    const setup = performance.now();
    const mailboxes = [
      { name: 'ten', waiting: 10 },
      { name: 'thousand', waiting: 1_000 },
      { name: 'many', waiting: 100_000 },
    ];
    for (const { name, waiting } of mailboxes) {
      await generate(planspace, name, waiting);
      const pending = await countPending(planspace, name);
      if (pending !== waiting) throw new Error(`${name}: ${pending} waiting, not ${waiting}`);
    }
    const setupSeconds = (performance.now() - setup) / 1000;

    const samples = new Map(mailboxes.map(({ name }) => [name, { library: [], cli: [] }]));
    for (let round = 0; round < runs; round += 1) {
      for (let n = 0; n < LIBRARY_PER_ROUND * mailboxes.length; n += 1) {
        const { name } = mailboxes[n % mailboxes.length];
        await send(planspace, name, `round ${round}\n`);
      }
      for (const { name } of shuffled(Array.from({ length: LIBRARY_PER_ROUND }, () => mailboxes).flat())) {
        const start = performance.now();
        const message = await receive(planspace, name, { timeoutMs: 10_000 });
        samples.get(name).library.push(performance.now() - start);
        if (!/^(backlog|round) /.test(message.body.toString())) throw new Error(`${name}: ${message.body}`);
      }
      for (const { name } of mailboxes) await send(planspace, name, `round ${round}\n`);
      for (const { name } of shuffled(mailboxes)) {
        const start = performance.now();
        const result = spawnSync(process.execPath, [mailboxBin, 'recv', planspace, name, '10'], { encoding: 'utf8' });
        samples.get(name).cli.push(performance.now() - start);
        if (result.status !== 0 || !/^(backlog|round) /.test(result.stdout)) {
          throw new Error(`mailbox recv ${name}: exit ${result.status}: ${result.stdout}${result.stderr}`);
        }
      }
    }
    for (const { name, waiting } of mailboxes) {
      const pending = await countPending(planspace, name);
      if (pending !== waiting) throw new Error(`${name}: ${pending} waiting after the rounds, not ${waiting}`);
    }

    const ways = [
      { key: 'library', label: '`receive()` in process' },
      { key: 'cli', label: '`mailbox recv` process' },
    ];
    const rows = [];
    for (const { key, label } of ways) {
      const base = percentiles(samples.get('ten')[key]).p50;
      for (const { name, waiting } of mailboxes) {
        const s = percentiles(samples.get(name)[key]);
        const ratio = s.p50 / base;
        const goal =
          name === 'ten' ? 'baseline' : name === 'many' ? `<= ${GOAL}x (${ratio <= GOAL ? 'met' : 'not met'})` : '';
        rows.push(
          `| ${label} | ${waiting.toLocaleString('en')} | ${ms(s.p50)} | ${ms(s.p10)} to ${ms(s.p90)} | ${ratio.toFixed(2)}x | ${goal} |`,
        );
      }
    }
    return [
      '## Mailbox backlog',
      '',
      `\`node bench/mailbox-backlog.js --runs ${runs}\`. What one receive costs with many messages waiting ` +
        `unread, on three mailboxes: 10 waiting (the baseline), 1,000 and 100,000 waiting. The backlogs are ` +
        `generated (the bytes \`send\` writes, from exited senders, ${PER_SENDER} messages each; ` +
        `${setupSeconds.toFixed(0)} s). ${runs} interleaved rounds, mailboxes in random order: each round ` +
        `${LIBRARY_PER_ROUND} messages sent to every mailbox (the backlogs stay as they are), ${LIBRARY_PER_ROUND} ` +
        `\`receive()\` of the library per mailbox (open a reader, claim, acknowledge, close), one more message sent to each, then one ` +
        `\`mailbox recv\` per mailbox (spawn to exit). Median and p10-p90; ratio = median / the median with 10 waiting.`,
      '',
      '| receive | waiting | median | p10-p90 | ratio to 10 waiting | goal |',
      '|---|---:|---:|---:|---:|---|',
      ...rows,
    ].join('\n');
  } finally {
    rmSync(planspace, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsArg = process.argv.indexOf('--runs');
  console.log(await measureMailboxBacklog({ runs: runsArg === -1 ? 40 : Number(process.argv[runsArg + 1]) }));
}
