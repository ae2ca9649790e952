// Mailbox history: what `mailbox check` and `mailbox recv` cost after 100,000 messages were
// sent and consumed, against the same commands on a mailbox without history (the baseline,
// measured in the same run, interleaved). Two histories: 100,000 messages from one sender
// process, and 2 messages from each of 50,000 sender processes, all exited.
//
//   node bench/mailbox-history.js [--runs N]     (default 40 samples of each command)
//
// Starting 50,000 real processes would take many minutes, so the history is generated: the
// benchmark writes exactly the bytes `send` writes (src/mailbox/send.ts: the envelopes appended
// to `data/<process key>` of each simulated sender, then one 64-byte journal record per
// message, through the library's own encoders and log appends), with pids above 2^22, which no live process
// can have. The messages are then consumed by the library's real reader (`MailboxReader`:
// `claimNext()` and `ack()`, as a long-lived receiver does), which writes the claims log, the
// checkpoints and deletes the data files of the exited senders and the log segments that the
// checkpoints cover as it goes.
//
// Needs the built library (`npm run build`). `bench/mailbox.js` includes this section.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMessage, ensureMailbox, MailboxReader, mailboxPaths, send } from '../dist/index.js';
import { encodeDelivery } from '../dist/mailbox/journal.js';
import { appendToLog } from '../dist/mailbox/segments.js';
import { percentiles, shuffled } from './stats.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const mailboxBin = join(root, 'bin', 'mailbox.js');

/** The first pid of a simulated sender: above 2^22, the largest pid Linux hands out. */
const DEAD_PID = 2 ** 22 + 1;

const MESSAGES = 100_000;
const MANY_SENDERS = 50_000;

/**
 * Writes `senders` x `perSender` messages into mailbox `name` as that many exited sender
 * processes would have sent them, sender after sender. Body: `history <sender>:<n>\n`.
 */
async function generate(planspace, name, senders, perSender) {
  const paths = mailboxPaths(planspace, name);
  await ensureMailbox(planspace, paths);
  const journal = [];
  for (let s = 0; s < senders; s += 1) {
    const key = `${(DEAD_PID + s).toString(36)}.${s.toString(36).padStart(6, '0')}`;
    const envelopes = [];
    let offset = 0;
    for (let m = 1; m <= perSender; m += 1) {
      const id = `${key}.${m.toString(36)}`;
      const time = new Date().toISOString();
      const envelope = encodeMessage({ id, sender: 'agent', time, runId: null }, Buffer.from(`history ${s}:${m}\n`));
      envelopes.push(envelope);
      journal.push(encodeDelivery(id, false, offset, envelope.length));
      offset += envelope.length;
    }
    writeFileSync(join(paths.data, key), Buffer.concat(envelopes), { mode: 0o600 });
  }
  // The records in send order, appended as `send` appends them (in segments).
  for (const record of journal) appendToLog(paths.journal, record);
}

/** Consumes every waiting message with the library's reader, acknowledging each. */
async function consume(planspace, name) {
  const reader = new MailboxReader(mailboxPaths(planspace, name));
  let count = 0;
  for (let message = reader.claimNext(); message; message = reader.claimNext()) {
    await message.ack();
    count += 1;
  }
  return count;
}

/** Runs the mailbox CLI once; returns its wall time in ms (spawn to exit) and its output. */
function cli(args) {
  const start = performance.now();
  const result = spawnSync(process.execPath, [mailboxBin, ...args], { encoding: 'utf8' });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`mailbox ${args.join(' ')}: exit ${result.status}: ${result.stderr}`);
  return { ms: elapsed, stdout: result.stdout };
}

const ms = (value) => `${value.toFixed(value < 100 ? 1 : 0)} ms`;
const kib = (bytes) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * Runs the benchmark.
 * @param {{ runs?: number }} options - samples of each command on each mailbox (default 40).
 * @returns {Promise<string>} a markdown section: heading, method, table.
 */
export async function measureMailboxHistory({ runs = 40 } = {}) {
  const planspace = mkdtempSync(join(tmpdir(), 'planspace-bench-history-'));
  // A planspace is a folder with a schedule: the mailbox verbs refuse any other folder.
  writeFileSync(join(planspace, 'schedule.md'), '# Schedule: bench\n');
  try {
    const setup = performance.now();
    const mailboxes = [
      { name: 'empty', label: 'no history (baseline)' },
      { name: 'one', label: `${MESSAGES.toLocaleString('en')} messages from 1 sender`, senders: 1 },
      {
        name: 'many',
        label: `${MESSAGES.toLocaleString('en')} messages from ${MANY_SENDERS.toLocaleString('en')} senders`,
        senders: MANY_SENDERS,
      },
    ];
    for (const mailbox of mailboxes) {
      if (mailbox.senders === undefined) {
        await ensureMailbox(planspace, mailboxPaths(planspace, mailbox.name));
        continue;
      }
      await generate(planspace, mailbox.name, mailbox.senders, MESSAGES / mailbox.senders);
      const consumed = await consume(planspace, mailbox.name);
      if (consumed !== MESSAGES) throw new Error(`${mailbox.name}: consumed ${consumed} of ${MESSAGES}`);
    }
    const setupSeconds = (performance.now() - setup) / 1000;

    const samples = new Map(mailboxes.map(({ name }) => [name, { check: [], recv: [] }]));
    for (let round = 0; round < runs; round += 1) {
      for (const { name } of shuffled(mailboxes)) {
        const check = cli(['check', planspace, name]);
        if (check.stdout !== '0\n') throw new Error(`check ${name}: ${check.stdout}`);
        samples.get(name).check.push(check.ms);
      }
      for (const { name } of mailboxes) await send(planspace, name, `round ${round}\n`);
      for (const { name } of shuffled(mailboxes)) {
        const recv = cli(['recv', planspace, name, '10']);
        if (recv.stdout !== `round ${round}\n`) throw new Error(`recv ${name}: ${recv.stdout}`);
        samples.get(name).recv.push(recv.ms);
      }
    }

    // What the logs and checkpoints take on disk now, against what was appended to the logs
    // (64 bytes a record: one journal record per message, a claim and an acknowledgement each).
    const disk = new Map();
    for (const { name } of mailboxes) {
      const { dir } = mailboxPaths(planspace, name);
      const inodes = new Map();
      for (const file of readdirSync(dir)) {
        if (!/^(journal|claims|checkpoint)/.test(file)) continue;
        const { ino, size } = statSync(join(dir, file));
        inodes.set(ino, size);
      }
      disk.set(name, { bytes: [...inodes.values()].reduce((sum, size) => sum + size, 0), files: inodes.size });
    }

    const base = { check: percentiles(samples.get('empty').check), recv: percentiles(samples.get('empty').recv) };
    const rows = [];
    for (const { name, label, senders } of mailboxes) {
      for (const verb of ['check', 'recv']) {
        const s = percentiles(samples.get(name)[verb]);
        const ratio = s.p50 / base[verb].p50;
        const goal = senders === undefined ? '' : `<= 1.2x (${ratio <= 1.2 ? 'met' : 'missed'})`;
        rows.push(
          `| \`mailbox ${verb}\` | ${label} | ${ms(s.p50)} | ${ms(s.p10)} to ${ms(s.p90)} | ${ratio.toFixed(2)}x | ${goal} |`,
        );
      }
    }
    const diskRows = mailboxes.map(({ name, label, senders }) => {
      const appended = ((senders === undefined ? 0 : MESSAGES) + runs) * 3 * 64;
      const { bytes, files } = disk.get(name);
      const goal = senders === undefined ? '' : `bounded: <= 256 KiB (${bytes <= 256 * 1024 ? 'met' : 'missed'})`;
      return `| ${label} | ${kib(appended)} | ${kib(bytes)} | ${files} | ${goal} |`;
    });
    return [
      '## Mailbox history',
      '',
      `\`node bench/mailbox-history.js --runs ${runs}\`. Each command run as a process (spawn to exit, as a ` +
        `shell sees it) on three mailboxes: one without history (the baseline), one after ` +
        `${MESSAGES.toLocaleString('en')} messages from one sender, one after 2 messages from each of ` +
        `${MANY_SENDERS.toLocaleString('en')} sender processes; every message consumed, every sender exited. ` +
        `The histories are generated (the bytes \`send\` writes, see the script's header; ${setupSeconds.toFixed(0)} s ` +
        `including their consumption by the library's reader). ${runs} interleaved rounds, mailboxes in random ` +
        `order: each round one \`check\` per mailbox, then one message sent to each and one \`recv\` per mailbox. ` +
        `Median and p10-p90; ratio = median / the baseline's median.`,
      '',
      '| command | mailbox | median | p10-p90 | ratio to no history | goal |',
      '|---|---|---:|---:|---:|---|',
      ...rows,
      '',
      'Disk: after the rounds, the bytes of the journal and claims log segments and the checkpoints ' +
        'on disk (files linked twice counted once), against the bytes appended to the two logs over ' +
        "the mailbox's life (64 bytes a record: a delivery, a claim and an acknowledgement per message). " +
        'Segments that the kept checkpoints cover are deleted (src/mailbox/segments.ts).',
      '',
      '| mailbox | appended to the logs | on disk now | files | goal |',
      '|---|---:|---:|---:|---|',
      ...diskRows,
    ].join('\n');
  } finally {
    rmSync(planspace, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsArg = process.argv.indexOf('--runs');
  console.log(await measureMailboxHistory({ runs: runsArg === -1 ? 40 : Number(process.argv[runsArg + 1]) }));
}
