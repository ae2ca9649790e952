// Parallel blocks: one step with 64 blocks, each agent sleeping 1 second, run by
// `workflow run --concurrency 64`. Wall time of the whole `workflow run` process, as a ratio to
// the 1-second ideal (every agent at once, no engine cost); from `events.jsonl` also the
// spread of the 64 dispatches (first to last) and of the 64 exits. Baseline in the same run: a
// Node script starting the same 64 agents at once and waiting for them
// (`bench/workers/parallel-baseline.js`). Median (min-max) over interleaved rounds.
//
//   node bench/parallel.js [--runs N]     (default 5 rounds)
//
// Needs the built CLI (`npm run build`); `bench/run.js` gathers its section into BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summary } from './stats.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const workflow = join(root, 'bin', 'workflow.js');
const baselineWorker = join(root, 'bench', 'workers', 'parallel-baseline.js');

const BLOCKS = 64;
const AGENT_MS = 1000;
const GOAL_RATIO = 1.1;
const AGENT = { command: '/bin/sleep', args: ['1'] };

const ms = (value) => `${Math.round(value)} ms`;
const spread = (s, f = ms) => `${f(s.median)} (${f(s.min).replace(' ms', '')}-${f(s.max)})`;
const ratio = (value) => `${value.toFixed(2)}x`;

/** A planspace with one step of 64 blocks. */
function writePlanspace(base, label) {
  const planspace = join(base, label);
  mkdirSync(planspace);
  const blocks = Array.from({ length: BLOCKS }, (_, i) => `b${i + 1}`).join(', ');
  writeFileSync(
    join(planspace, 'schedule.md'),
    `# Schedule: parallel bench\n\n[wait] 1. fan-out | sleeper -- ${BLOCKS} blocks of a 1-second agent\n  - blocks: ${blocks}\n`,
  );
  return planspace;
}

function engineRun(base, label, sources) {
  const planspace = writePlanspace(base, label);
  const args = [workflow, 'run', planspace, '--concurrency', String(BLOCKS), '--models', sources.models];
  args.push('--agents', sources.agents, '--codespace', sources.codespace);
  const start = performance.now();
  const startEpoch = Date.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = performance.now() - start;
  if (result.status !== 0) throw new Error(`workflow run ${planspace}: ${String(result.status)} ${result.stderr}`);
  const events = readFileSync(join(planspace, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
  const dispatched = events.filter((e) => e.event === 'dispatched').map((e) => Date.parse(e.time));
  const done = events.find((e) => e.event === 'done');
  const tracking = events.find((e) => e.event === 'started')?.tracking ?? 'process group';
  if (dispatched.length !== BLOCKS || !done) throw new Error(`${planspace}: ${dispatched.length} dispatches`);
  rmSync(planspace, { recursive: true, force: true });
  return {
    wallMs,
    startupMs: Math.min(...dispatched) - startEpoch,
    dispatchSpreadMs: Math.max(...dispatched) - Math.min(...dispatched),
    settleMs: Date.parse(done.time) - Math.max(...dispatched),
    tracking,
  };
}

function baselineRun(codespace) {
  const start = performance.now();
  const result = spawnSync(
    process.execPath,
    [baselineWorker, String(BLOCKS), codespace, AGENT.command, ...AGENT.args],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`parallel baseline: ${result.stderr}`);
  return performance.now() - start;
}

/**
 * Runs the benchmark.
 * @param {{ runs?: number }} options - interleaved rounds (default 5).
 * @returns {string} a markdown section.
 */
export function measureParallel({ runs = 5 } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'planspace-bench-parallel-'));
  try {
    const sources = { models: join(base, 'models'), agents: join(base, 'agents'), codespace: join(base, 'code') };
    for (const dir of Object.values(sources)) mkdirSync(dir);
    writeFileSync(
      join(sources.models, 'sleeper.toml'),
      `command = ${JSON.stringify(AGENT.command)}\nargs = ${JSON.stringify(AGENT.args)}\n`,
    );
    writeFileSync(join(sources.agents, 'exception-handler.md'), '---\nmodel: sleeper\n---\n\n# Never started here\n');
    engineRun(base, 'warm-up', sources);
    const engines = [];
    const baselines = [];
    for (let round = 0; round < runs; round += 1) {
      if (round % 2 === 0) baselines.push(baselineRun(sources.codespace));
      engines.push(engineRun(base, `run-${round}`, sources));
      if (round % 2 === 1) baselines.push(baselineRun(sources.codespace));
    }
    const wall = summary(engines.map((e) => e.wallMs));
    const toIdeal = summary(engines.map((e) => e.wallMs / AGENT_MS));
    const baseWall = summary(baselines);
    const toBaseline = summary(engines.map((e, i) => e.wallMs / baselines[i]));
    const agentText = [AGENT.command, ...AGENT.args].join(' ');
    const verdict = toBaseline.median <= GOAL_RATIO ? 'met' : 'missed';
    const tracking = [...new Set(engines.map((e) => e.tracking))].join(', ');
    return [
      '## Engine: parallel blocks',
      '',
      `\`node bench/parallel.js --runs ${runs}\`: one step with \`blocks:\` b1 to b${BLOCKS}, run by ` +
        `\`workflow run --concurrency ${BLOCKS}\`; each block's agent is \`${agentText}\` (one process that lives ` +
        `1 s, as a real agent is one process; its prompt file is its standard input). Wall time of the whole ` +
        `\`workflow run\` process (Node start-up, preflight, ${BLOCKS} prompts and spawns, the agents, settling, ` +
        `exit) as a ratio to the 1-second ideal. Baseline in the same run: a Node script ` +
        `(\`bench/workers/parallel-baseline.js\`) starting the same ${BLOCKS} agents at once with ` +
        `\`child_process.spawn\` and waiting for all: the floor for any Node program on this machine, where a ` +
        `process creation costs several ms. Agents' processes tracked by: ${tracking} (\`PLANSPACE_CGROUPS=0\` ` +
        `forces the environment marker). ${runs} interleaved rounds after a warm-up; median (min-max).`,
      '',
      '| measure | median (min-max) | ratio to the 1 s ideal | ratio to baseline | goal |',
      '|---|---:|---:|---:|---|',
      `| baseline: ${BLOCKS} spawns at once from a Node script | ${spread(baseWall)} | ` +
        `${ratio(baseWall.median / AGENT_MS)} | 1.00x | |`,
      `| \`workflow run\`, ${BLOCKS} blocks, \`--concurrency ${BLOCKS}\` | ${spread(wall)} | ` +
        `**${ratio(toIdeal.median)}** (${ratio(toIdeal.min)}-${ratio(toIdeal.max)}) | ${ratio(toBaseline.median)} | ` +
        `<= ${GOAL_RATIO}x of the baseline (${verdict}) |`,
      `| process start to the first \`dispatched\` event | ${spread(summary(engines.map((e) => e.startupMs)))} | | | |`,
      `| first to last of the ${BLOCKS} \`dispatched\` events | ${spread(summary(engines.map((e) => e.dispatchSpreadMs)))} | | | |`,
      `| last \`dispatched\` to the step's \`done\` | ${spread(summary(engines.map((e) => e.settleMs)))} | | | |`,
    ].join('\n');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsArg = process.argv.indexOf('--runs');
  console.log(measureParallel({ runs: runsArg === -1 ? 5 : Number(process.argv[runsArg + 1]) }));
}
