// Whole-process time of `workflow next`, `done` and `status` on a 7-step and a 10,000-step
// schedule, as a ratio to bare `node -e ''` measured in the same run, interleaved so that
// machine noise hits baseline and candidate alike. Prints medians and the spread (p10-p90).
//
//   node bench/cli.js [--runs N]      (default 40 runs per figure)
//
// `bench/run.js` (npm run bench) imports `measureCli` and gathers its table into BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const workflow = join(root, 'bin', 'workflow.js');

/** A planspace whose schedule has `count` steps, all [done] but the last, which is [`last`]. */
function planspace(count, last) {
  const dir = mkdtempSync(join(tmpdir(), 'planspace-bench-'));
  const lines = ['# Schedule: bench', ''];
  for (let n = 1; n <= count; n += 1) {
    const status = n === count ? last : 'done';
    lines.push(`[${status}] ${n}. step-${n} | glm -- benchmark step ${n} (implement.md Stage ${(n % 7) + 1})`);
  }
  writeFileSync(join(dir, 'schedule.md'), `${lines.join('\n')}\n`);
  return dir;
}

function timeOnce(args) {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const summary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9) };
};

/**
 * Runs the benchmark.
 * @param {{ runs: number }} options - runs per figure.
 * @returns {string} a markdown section: heading, method, table.
 */
export function measureCli({ runs }) {
  const cases = [];
  for (const steps of [7, 10_000]) {
    for (const verb of ['next', 'done', 'status']) cases.push({ steps, verb });
  }
  const goals = { 7: 1.3, 10000: 1.6 };
  const rows = [];
  for (const { steps, verb } of cases) {
    const baseline = [];
    const candidate = [];
    for (let i = 0; i < runs; i += 1) {
      // `next` turns a [wait] into [run], `done` a [run] into [done]; a fresh schedule per run
      // keeps every run the same work.
      const dir = planspace(steps, verb === 'done' ? 'run' : 'wait');
      const schedule = readFileSync(join(dir, 'schedule.md'));
      baseline.push(timeOnce(['-e', '']));
      candidate.push(timeOnce([workflow, verb, dir]));
      if (readFileSync(join(dir, 'schedule.md')).equals(schedule) === (verb !== 'status')) {
        throw new Error(`workflow ${verb} did not behave as expected on ${dir}`);
      }
      rmSync(dir, { recursive: true, force: true });
    }
    const base = summary(baseline);
    const cand = summary(candidate);
    rows.push({ verb, steps, base, cand, ratio: cand.median / base.median, goal: goals[steps] });
  }

  const ms = (s) => `${s.median.toFixed(1)} ms (${s.p10.toFixed(0)}-${s.p90.toFixed(0)})`;
  const lines = [
    '## Schedule verbs: whole-process time',
    '',
    `\`node bench/cli.js --runs ${runs}\`: ${runs} runs of each command, interleaved with bare \`node -e ''\` as the ` +
      `baseline; median (p10-p90). \`next\` turns the last [wait] step of a fresh schedule into [run] (lock, parse, ` +
      `plan, atomic write); \`done\` turns the last [run] step of a fresh schedule into [done] (lock, scan, atomic ` +
      `write); \`status\` parses and counts.`,
    '',
    '| command | steps | bare node | workflow | ratio | goal |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ok = r.ratio <= r.goal ? 'met' : 'missed';
    lines.push(
      `| \`workflow ${r.verb}\` | ${r.steps} | ${ms(r.base)} | ${ms(r.cand)} | ${r.ratio.toFixed(2)}x | <= ${r.goal}x (${ok}) |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsArg = process.argv.indexOf('--runs');
  console.log(measureCli({ runs: runsArg === -1 ? 40 : Number(process.argv[runsArg + 1]) }));
}
