// The engine's overhead per step: a 200-step schedule run to the end by `workflow run` with a
// no-op agent, against a baseline measured in the same run: a Node script starting the same
// agent command 200 times, one after another, with the same prompt files as standard input.
// Overhead per step = (engine wall time - baseline wall time) / 200, over interleaved rounds;
// prints the median and the spread (min-max), never a single timing. From `events.jsonl` it
// also splits an engine step into the dispatch side and the agent side.
//
//   node bench/engine.js [--runs N]      (default 5 rounds of each)
//
// Needs the built CLI (`npm run build`). `bench/run.js` (npm run bench) imports `measureEngine`
// and gathers its section into BENCHMARKS.md. Helper scripts are in bench/workers/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { summary } from './stats.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const workflow = join(root, 'bin', 'workflow.js');
const baselineWorker = join(root, 'bench', 'workers', 'spawn-baseline.js');
const cpuUsage = pathToFileURL(join(root, 'bench', 'workers', 'cpu-usage.js')).href;

const STEPS = 200;
const GOAL_MS = 20;
/** Longest a single engine or baseline run may take before it is stopped (SIGTERM: the engine aborts cleanly). */
const TIMEOUT_MS = 120_000;

/** The no-op agent: reads its prompt from standard input to the end and exits 0. */
const AGENT = { command: '/bin/sh', args: ['-c', 'exec cat >/dev/null'] };
/** The warm-up agent, which exits 0 without reading its prompt. */
const TRUE = ['/bin/true', '/usr/bin/true'].find((path) => existsSync(path)) ?? '/bin/true';

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Milliseconds with precision to match their size. */
function ms(value) {
  const digits = Math.abs(value) < 10 ? 2 : Math.abs(value) < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ms`;
}

const spread = (s) => `${ms(s.median)} (${ms(s.min).replace(' ms', '')}-${ms(s.max)})`;

/** A models folder whose `noop.toml` runs `command args`. */
function modelsFolder(dir, command, args) {
  mkdirSync(dir);
  const toml = [`command = ${JSON.stringify(command)}`, `args = ${JSON.stringify(args)}`, 'prompt_mode = "stdin"'];
  writeFileSync(join(dir, 'noop.toml'), `${toml.join('\n')}\n`);
  return dir;
}

function writeSchedule(planspace) {
  mkdirSync(planspace);
  const lines = ['# Schedule: engine bench', ''];
  for (let n = 1; n <= STEPS; n += 1) lines.push(`[wait] ${n}. s-${n} | noop -- benchmark step ${n}`);
  writeFileSync(join(planspace, 'schedule.md'), `${lines.join('\n')}\n`);
}

/**
 * One `workflow run` of a fresh 200-step planspace, timed as a whole process. Checks that it
 * completed with every step done, and splits its time using `events.jsonl`.
 */
function engineRun(base, label, models, sources) {
  const planspace = join(base, label);
  writeSchedule(planspace);
  const cpuFile = join(base, `${label}-cpu.json`);
  const args = ['--import', cpuUsage, workflow, 'run', planspace, '--models', models];
  args.push('--agents', sources.agents, '--codespace', sources.codespace);
  const startEpoch = Date.now();
  const start = performance.now();
  const result = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BENCH_CPU_FILE: cpuFile },
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
  });
  const wallMs = performance.now() - start;
  const endEpoch = Date.now();
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`workflow run ${planspace} ended with ${String(result.signal ?? result.status)}: ${result.stderr}`);
  }
  const done = readFileSync(join(planspace, 'schedule.md'), 'utf8').match(/^\[done\] /gm)?.length ?? 0;
  if (done !== STEPS) throw new Error(`workflow run ${planspace}: ${done} of ${STEPS} steps done`);

  const events = readFileSync(join(planspace, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
  const at = { dispatched: new Map(), done: new Map() };
  for (const event of events) at[event.event]?.set(event.step, Date.parse(event.time));
  if (at.dispatched.size !== STEPS || at.done.size !== STEPS) {
    throw new Error(`${planspace}/events.jsonl: ${at.dispatched.size} dispatches, ${at.done.size} done`);
  }
  const dispatchSide = [];
  const agentSide = [];
  for (let n = 1; n <= STEPS; n += 1) {
    if (n > 1) dispatchSide.push(at.dispatched.get(n) - at.done.get(n - 1));
    agentSide.push(at.done.get(n) - at.dispatched.get(n));
  }
  return {
    planspace,
    wallMs,
    cpuMs: JSON.parse(readFileSync(cpuFile, 'utf8')).cpuMs,
    startup: at.dispatched.get(1) - startEpoch,
    shutdown: endEpoch - at.done.get(STEPS),
    dispatchSide: { mean: mean(dispatchSide), median: summary(dispatchSide).median },
    agentSide: { mean: mean(agentSide), median: summary(agentSide).median },
  };
}

/** One baseline run: a Node process spawning the agent once per prompt, timed as a whole process. */
function baselineRun(prompts, codespace) {
  const args = [baselineWorker, prompts, String(STEPS), codespace, AGENT.command, ...AGENT.args];
  const start = performance.now();
  const result = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
  });
  const wallMs = performance.now() - start;
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(`spawn baseline ended with ${String(result.signal ?? result.status)}: ${result.stderr}`);
  const { durations, cpuMs } = JSON.parse(result.stdout);
  return { wallMs, cpuMs, agent: { mean: mean(durations), median: summary(durations).median } };
}

/**
 * Runs the benchmark.
 * @param {{ runs?: number }} options - interleaved rounds of engine and baseline (default 5).
 * @returns {string} a markdown section: heading, method, tables.
 */
export function measureEngine({ runs = 5 } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'planspace-bench-engine-'));
  try {
    const sources = { agents: join(base, 'agents'), codespace: join(base, 'codespace') };
    mkdirSync(sources.agents);
    mkdirSync(sources.codespace);
    writeFileSync(join(sources.agents, 'exception-handler.md'), '---\nmodel: noop\n---\n\n# Never started here\n');
    const trueModels = modelsFolder(join(base, 'models-true'), TRUE, []);
    const models = modelsFolder(join(base, 'models-noop'), AGENT.command, AGENT.args);

    // Warm-up: fills the file cache, shows that an agent need not read its prompt, and leaves
    // the 200 prompts the baseline feeds its agents.
    const warmUp = engineRun(base, 'warm-up', trueModels, sources);
    const prompts = join(warmUp.planspace, 'artifacts');

    const engines = [];
    const baselines = [];
    for (let round = 0; round < runs; round += 1) {
      // Alternate the order so that a drift in the machine's load hits both alike.
      if (round % 2 === 0) baselines.push(baselineRun(prompts, sources.codespace));
      const engine = engineRun(base, `run-${round}`, models, sources);
      rmSync(engine.planspace, { recursive: true, force: true });
      engines.push(engine);
      if (round % 2 === 1) baselines.push(baselineRun(prompts, sources.codespace));
    }

    const over = (pick) => summary(engines.map(pick));
    const baseWall = summary(baselines.map((b) => b.wallMs));
    const engineWall = over((e) => e.wallMs);
    const overhead = summary(engines.map((e, i) => (e.wallMs - baselines[i].wallMs) / STEPS));
    const ratio = summary(engines.map((e, i) => e.wallMs / baselines[i].wallMs));
    const engineCpu = over((e) => e.cpuMs / STEPS);
    const baseCpu = summary(baselines.map((b) => b.cpuMs / STEPS));
    const agentAlone = summary(baselines.map((b) => b.agent.mean));
    const agentAloneMedian = summary(baselines.map((b) => b.agent.median));
    const dispatchSide = over((e) => e.dispatchSide.mean);
    const agentSide = over((e) => e.agentSide.mean);
    const engineOwn = summary(engines.map((e, i) => e.dispatchSide.mean + e.agentSide.mean - baselines[i].agent.mean));
    const verdict = overhead.median <= GOAL_MS ? 'met' : 'missed';

    const agentText = `\`${AGENT.command} ${AGENT.args.map((arg) => (arg.includes(' ') ? `'${arg}'` : arg)).join(' ')}\``;
    const lines = [
      '## Engine: overhead per step',
      '',
      `\`node bench/engine.js --runs ${runs}\`: a ${STEPS}-step schedule (\`[wait] N. s-N | noop -- benchmark step N\`, ` +
        `no refs) run to the end by \`workflow run\` (its output to /dev/null), the model \`noop\` being ${agentText}: ` +
        `the agent reads its prompt from standard input and exits 0, with no \`done:\` report (exit 0 settles a ` +
        `step). Baseline in the same run: a Node script (\`bench/workers/spawn-baseline.js\`) starting the same ` +
        `command ${STEPS} times, one after another, with the same prompt files as standard input (\`child_process.spawn\`, ` +
        `waiting for each exit). Both timed as whole processes by the benchmark; overhead per step = (engine - ` +
        `baseline) / ${STEPS}, paired round by round. ${runs} interleaved rounds (order alternating), after a warm-up ` +
        `run whose agent is \`${TRUE}\`, which never reads its prompt: all ${STEPS} steps were done, so the engine ` +
        `does not need the agent to read its standard input. Median (min-max) over the rounds. CPU times: the ` +
        `engine's from \`process.cpuUsage()\` at exit, by a module preloaded with \`node --import\` ` +
        `(\`bench/workers/cpu-usage.js\`); the baseline script's its own.`,
      '',
      '| measure | median (min-max) | ratio to baseline | goal |',
      '|---|---:|---:|---|',
      `| baseline: ${STEPS} spawns from a Node script | ${spread(baseWall)} | 1.00 | |`,
      `| \`workflow run\`, ${STEPS} steps | ${spread(engineWall)} | ${ratio.median.toFixed(2)} (${ratio.min.toFixed(2)}-${ratio.max.toFixed(2)}) | |`,
      `| **overhead per step** | **${spread(overhead)}** | | <= ${GOAL_MS} ms (${verdict}) |`,
      `| engine CPU time per step (user + system, not the agents') | ${spread(engineCpu)} | | |`,
      `| baseline CPU time per spawn (the Node script's) | ${spread(baseCpu)} | | |`,
      '',
      `Where an engine step's time goes, from the \`events.jsonl\` timestamps (1 ms resolution): the mean over the ` +
        `steps of each run, then median (min-max) over the rounds. An event's time is taken before it is written.`,
      '',
      '| interval | what the engine does in it | time |',
      '|---|---|---:|',
      `| process start to \`dispatched\` of step 1 (once) | start Node, load the CLI, preflight, take the hold, open ` +
        `its mailbox, then dispatch step 1 | ${spread(over((e) => e.startup))} |`,
      `| \`done\` of step N-1 to \`dispatched\` of step N | log the \`done\`, \`next\` (lock, read, parse, write ` +
        `the schedule), read \`state.md\`, render and write the prompt, rewrite \`## Position\`, open the output ` +
        `file, spawn the agent | ${spread(dispatchSide)} |`,
      `| \`dispatched\` to \`done\` of step N | log the \`dispatched\`, the agent runs and exits, close its output, ` +
        `mark it done (lock, read, parse, write the schedule) | ${spread(agentSide)} |`,
      `| the agent alone: spawn to exit in the baseline | mean per spawn (median per spawn: ` +
        `${spread(agentAloneMedian)}) | ${spread(agentAlone)} |`,
      `| engine's own time per step: the two intervals above minus the agent alone | | ${spread(engineOwn)} |`,
      `| \`done\` of step ${STEPS} to process exit (once) | \`next\` finds nothing, \`## Position\`, log, ` +
        `close the mailbox, release the hold, exit | ${spread(over((e) => e.shutdown))} |`,
    ];
    return lines.join('\n');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsArg = process.argv.indexOf('--runs');
  console.log(measureEngine({ runs: runsArg === -1 ? 5 : Number(process.argv[runsArg + 1]) }));
}
