// The engine's cost per step as the schedule grows: 100 steps run by `workflow run` with a
// no-op agent, once in a 100-step schedule and once at the end of a 10,000-step schedule (the
// first 9,900 steps already [done]), in interleaved rounds. Cost per step, from `events.jsonl`:
// the time from one step's `dispatched` to the next one's (agent included), and the engine's
// own gap from one step's `done` to the next one's `dispatched`. Prints medians over the rounds
// and the ratio 10,000 / 100 (goal: <= 1.1, issue 21 point 6).
//
//   node bench/engine-scale.js [--runs N]      (default 5 rounds of each)
//
// Needs the built CLI (`npm run build`). `bench/run.js` (npm run bench) imports `measureEngineScale`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dispatchGaps } from './stats.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const workflow = join(root, 'bin', 'workflow.js');

/** Steps run in every round. */
const RUN = 100;
const SIZES = [100, 10_000];
const GOAL = 1.1;
const TIMEOUT_MS = 300_000;
const AGENT = { command: '/bin/sh', args: ['-c', 'exec cat >/dev/null'] };

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const ms = (value) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

/** A planspace of `size` steps whose last `RUN` steps are [wait], the others [done]. */
function writePlanspace(planspace, size) {
  mkdirSync(planspace);
  const lines = ['# Schedule: engine scale bench', ''];
  for (let n = 1; n <= size; n += 1) {
    lines.push(`[${n > size - RUN ? 'wait' : 'done'}] ${n}. s-${n} | noop -- benchmark step ${n}`);
  }
  writeFileSync(join(planspace, 'schedule.md'), `${lines.join('\n')}\n`);
}

/** One `workflow run`; returns the mean dispatch-to-dispatch and done-to-dispatch times (ms). */
function engineRun(base, label, size, sources) {
  const planspace = join(base, label);
  writePlanspace(planspace, size);
  const args = [workflow, 'run', planspace, '--models', sources.models];
  args.push('--agents', sources.agents, '--codespace', sources.codespace);
  const result = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`workflow run ${planspace} ended with ${String(result.signal ?? result.status)}: ${result.stderr}`);
  }
  const { dispatched, gaps } = dispatchGaps(planspace, RUN);
  rmSync(planspace, { recursive: true, force: true });
  return {
    perStep: (dispatched[RUN - 1].time - dispatched[0].time) / (RUN - 1),
    gap: gaps.reduce((sum, value) => sum + value, 0) / gaps.length,
  };
}

/**
 * Runs the benchmark.
 * @param {{ runs?: number }} options - interleaved rounds (default 5).
 * @returns {string} a markdown section: heading, method, table.
 */
export function measureEngineScale({ runs = 5 } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'planspace-bench-scale-'));
  try {
    const sources = {
      agents: join(base, 'agents'),
      codespace: join(base, 'codespace'),
      models: join(base, 'models'),
    };
    for (const dir of Object.values(sources)) mkdirSync(dir);
    writeFileSync(join(sources.agents, 'exception-handler.md'), '---\nmodel: noop\n---\n\n# Never started here\n');
    const toml = [`command = ${JSON.stringify(AGENT.command)}`, `args = ${JSON.stringify(AGENT.args)}`];
    writeFileSync(join(sources.models, 'noop.toml'), `${toml.join('\n')}\n`);

    engineRun(base, 'warm-up', SIZES[0], sources);
    const results = new Map(SIZES.map((size) => [size, []]));
    for (let round = 0; round < runs; round += 1) {
      // Alternate the order so that a drift in the machine's load hits both alike.
      const order = round % 2 === 0 ? SIZES : [...SIZES].reverse();
      for (const size of order) results.get(size).push(engineRun(base, `r${round}-${size}`, size, sources));
    }
    const row = (size) => {
      const list = results.get(size);
      return { perStep: median(list.map((r) => r.perStep)), gap: median(list.map((r) => r.gap)) };
    };
    const [small, large] = SIZES.map(row);
    const ratio = large.perStep / small.perStep;
    const lines = [
      '## Engine: cost per step as the schedule grows',
      '',
      `\`node bench/engine-scale.js --runs ${runs}\`: ${RUN} steps run to the end by \`workflow run\` with the ` +
        `no-op agent \`${AGENT.command} ${AGENT.args.join(' ')}\`, in a ${SIZES[0]}-step schedule and at the end of a ` +
        `${SIZES[1]}-step schedule whose other steps are already [done]; ${runs} interleaved rounds. From ` +
        `\`events.jsonl\` (1 ms resolution): per step = first to last \`dispatched\` / ${RUN - 1} (the agent ` +
        `included); engine gap = mean \`done\` of step N-1 to \`dispatched\` of step N. Medians over the rounds.`,
      '',
      '| schedule | per step | engine gap |',
      '|---|---:|---:|',
      `| ${SIZES[0]} steps | ${ms(small.perStep)} | ${ms(small.gap)} |`,
      `| ${SIZES[1]} steps | ${ms(large.perStep)} | ${ms(large.gap)} |`,
      `| **ratio ${SIZES[1]} / ${SIZES[0]}** | **${ratio.toFixed(2)}x** (goal <= ${GOAL}x: ${ratio <= GOAL ? 'met' : 'missed'}) | ${(large.gap / small.gap).toFixed(2)}x |`,
    ];
    return lines.join('\n');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsArg = process.argv.indexOf('--runs');
  console.log(measureEngineScale({ runs: runsArg === -1 ? 5 : Number(process.argv[runsArg + 1]) }));
}
