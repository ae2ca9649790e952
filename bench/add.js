// Whole-process time of `workflow add` against `workflow done` on the same schedule (issue 21:
// `add` within 1.3x of `done`), on a 7-step and a 10,000-step schedule, interleaved so that
// machine noise hits both alike. Each run gets a fresh copy of the schedule: `done` turns its
// last [run] step into [done], `add` appends a step at the end. Prints medians, the spread
// (p10-p90), the ratio and the goal.
//
//   node bench/add.js [--runs N]      (default 40 runs per figure)
//
// `bench/run.js` (npm run bench) imports `measureAdd` and gathers its table into BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const workflow = join(root, 'bin', 'workflow.js');

/** The goal of issue 21: `add` at most this many times `done`'s time. */
const GOAL = 1.3;

/** A planspace whose schedule has `count` steps, all [done] but the last, which is [run]. */
function planspace(count) {
  const dir = mkdtempSync(join(tmpdir(), 'planspace-bench-add-'));
  const lines = ['# Schedule: bench', ''];
  for (let n = 1; n <= count; n += 1) {
    const status = n === count ? 'run' : 'done';
    lines.push(`[${status}] ${n}. step-${n} | glm -- benchmark step ${n} (implement.md Stage ${(n % 7) + 1})`);
  }
  writeFileSync(join(dir, 'schedule.md'), `${lines.join('\n')}\n`);
  return dir;
}

/** Runs `workflow <args>` once; its time in ms, and what it printed. */
function timeOnce(args) {
  const start = process.hrtime.bigint();
  const stdout = execFileSync(process.execPath, [workflow, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    // Outside a run, as a shell calls it: the loop guard's environment must not leak in.
    env: { ...process.env, WORKFLOW_STEP: '', WORKFLOW_RUN_ID: '' },
  });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, stdout };
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
export function measureAdd({ runs }) {
  const rows = [];
  for (const steps of [7, 10_000]) {
    const done = [];
    const add = [];
    for (let i = 0; i < runs; i += 1) {
      const dir = planspace(steps);
      const schedule = join(dir, 'schedule.md');
      const before = readFileSync(schedule, 'utf8');
      // Alternate which goes first; each on its own fresh copy of the same schedule.
      const copy = mkdtempSync(join(tmpdir(), 'planspace-bench-add-'));
      writeFileSync(join(copy, 'schedule.md'), before);
      const order = i % 2 === 0 ? ['done', 'add'] : ['add', 'done'];
      for (const verb of order) {
        if (verb === 'done') done.push(timeOnce(['done', dir]).ms);
        else {
          const result = timeOnce(['add', copy, 'added | glm -- a step added by the benchmark (implement.md Stage 5)']);
          if (result.stdout !== `${steps + 1}\n`) throw new Error(`workflow add printed '${result.stdout}' on ${copy}`);
          add.push(result.ms);
        }
      }
      if (readFileSync(schedule, 'utf8') === before) throw new Error(`workflow done changed nothing on ${dir}`);
      rmSync(dir, { recursive: true, force: true });
      rmSync(copy, { recursive: true, force: true });
    }
    const base = summary(done);
    const cand = summary(add);
    rows.push({ steps, base, cand, ratio: cand.median / base.median });
  }

  const ms = (s) => `${s.median.toFixed(1)} ms (${s.p10.toFixed(0)}-${s.p90.toFixed(0)})`;
  const lines = [
    '## Adding a step: `workflow add` against `workflow done`',
    '',
    `\`node bench/add.js --runs ${runs}\`: ${runs} runs of each, interleaved, each on a fresh copy of the same ` +
      `schedule (every step [done] but the last, [run]); median (p10-p90). \`done\` marks the last step (lock, scan, ` +
      `atomic write); \`add\` appends a step (lock, parse, check the new text with the parser, atomic write).`,
    '',
    '| steps | workflow done | workflow add | ratio | goal |',
    '|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ok = r.ratio <= GOAL ? 'met' : 'missed';
    lines.push(`| ${r.steps} | ${ms(r.base)} | ${ms(r.cand)} | ${r.ratio.toFixed(2)}x | <= ${GOAL}x (${ok}) |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsArg = process.argv.indexOf('--runs');
  console.log(measureAdd({ runs: runsArg === -1 ? 40 : Number(process.argv[runsArg + 1]) }));
}
