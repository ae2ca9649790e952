// Runs every benchmark and writes BENCHMARKS.md: machine, Node version, and each figure as a
// median with its spread and a ratio to a baseline measured in the same run.
//
//   npm run bench            (builds first)
//   node bench/run.js [--runs N]
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { format, resolveConfig } from 'prettier';
import { measureCandidates } from './candidates.js';
import { measureAdd } from './add.js';
import { measureCli } from './cli.js';
import { measureEngine } from './engine.js';
import { measureEngineScale } from './engine-scale.js';
import { measureIsolation } from './isolation.js';
import { measureLiving } from './living.js';
import { measureMailbox } from './mailbox.js';
import { measureMailboxBacklog } from './mailbox-backlog.js';
import { measureParallel } from './parallel.js';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg === -1 ? 40 : Number(process.argv[runsArg + 1]);

// The mailbox wake latencies want more samples (p99): 200 unless --runs says otherwise. The
// engine's rounds are long (two 200-step runs each): 5 unless --runs says otherwise.
const sections = [
  measureCli({ runs }),
  measureAdd({ runs }),
  await measureMailbox({ runs: runsArg === -1 ? 200 : runs }),
  await measureMailboxBacklog({ runs: runsArg === -1 ? 40 : runs }),
  measureEngine({ runs: runsArg === -1 ? 5 : runs }),
  measureEngineScale({ runs: runsArg === -1 ? 5 : runs }),
  // Each round is two runs of 1,000 steps, one of them adding its steps: 3 unless --runs says otherwise.
  await measureLiving({ runs: runsArg === -1 ? 3 : runs }),
  measureParallel({ runs: runsArg === -1 ? 5 : runs }),
  // Each round is six runs on a 5,000-file repository: 3 unless --runs says otherwise.
  measureIsolation({ runs: runsArg === -1 ? 3 : runs }),
  // Each round is a race of 8 and the winner alone: 3 unless --runs says otherwise.
  measureCandidates({ runs: runsArg === -1 ? 3 : runs }),
];
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (`bench/run.js`); do not edit by hand. Every figure is a ratio to a',
  'baseline measured in the same run, because these machines are shared and noisy: compare',
  'ratios, not milliseconds.',
  '',
  `Machine: ${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.`,
];
// Formatted as `npm test`'s format check expects, so a fresh report never fails CI.
const target = new URL('../BENCHMARKS.md', import.meta.url);
const text = await format([...header, '', ...sections.flatMap((section) => [section, ''])].join('\n'), {
  ...(await resolveConfig(target)),
  parser: 'markdown',
});
writeFileSync(target, text);
process.stdout.write(text);
