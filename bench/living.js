// The engine's cost per step when the agents add the steps (issue 21 point 6: within 1.2x of
// the same steps written up front). Two `workflow run`s of STEPS steps, in interleaved rounds:
//
//   A (up front): the schedule holds all STEPS steps from the start, each step N > 1 with the
//     items `added-by: N-1` and `needs: N-1`: the very text run B ends with. No-op agent.
//   B (added):    the schedule holds step 1 only; the agent of each step N < STEPS calls the
//     real `workflow add` for step N+1 (a chain), then ends.
//
// A chain isolates the engine's cost of taking an added step: one step runs at a time, so each
// gap below is one step's own engine work with nothing else in flight, and every step of B was
// added by the one before, so every gap of B follows exactly one add, on a schedule that grows
// from 1 to STEPS steps. (Seed steps that each add many would put several adds and dispatches
// in flight at once, and the gaps would measure their queueing.)
//
// Measured from `events.jsonl` as bench/engine-scale.js does: the engine gap = mean time from
// step N-1's `done` to step N's `dispatched`. The agents' own time, `workflow add` included,
// is not in it. The engine's replan on `workflow add`'s `added:` message falls inside the
// agent's time, though, so the engine's CPU time per step (its /proc/<pid>/stat utime+stime,
// sampled every 100 ms until it exits, divided by STEPS) is shown too: it counts that work
// wherever it happens. Medians over the rounds; ratio B / A, goal <= 1.2x.
//
//   node bench/living.js [--runs N] [--steps N]      (default 3 rounds of 1,000 steps)
//
// Needs the built CLI (`npm run build`) and Linux (/proc). `bench/run.js` (npm run bench)
// imports `measureLiving`.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dispatchGaps } from './stats.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const workflow = join(root, 'bin', 'workflow.js');

const GOAL = 1.2;
const TIMEOUT_MS = 1_800_000;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;
const NOOP = ['-c', 'exec cat >/dev/null'];
// `workflow` is on every agent's PATH; the engine gives WORKFLOW_STEP and WORKFLOW_PLANSPACE.
const ADDER = [
  '-c',
  'cat >/dev/null; if [ "$WORKFLOW_STEP" -lt "$STEPS" ]; then ' +
    'workflow add "$WORKFLOW_PLANSPACE" "s-$((WORKFLOW_STEP + 1)) | adder -- living bench step" >/dev/null || exit 1; fi',
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const ms = (value) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

/** The lines of step `n` as `workflow add` run by step n-1's agent writes them. */
function stepLines(n, model) {
  const line = `[wait] ${n}. s-${n} | ${model} -- living bench step`;
  return n === 1 ? [line] : [line, `  - added-by: ${n - 1}`, `  - needs: ${n - 1}`];
}

/** utime + stime of a live process, in ms; undefined once it is gone. */
function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch (error) {
    // The engine has exited (and been reaped): the last sample stands.
    if (error.code === 'ENOENT' || error.code === 'ESRCH') return undefined;
    throw error;
  }
}

/** One `workflow run`; resolves to the engine gap (ms, mean) and the engine's CPU per step (ms). */
async function engineRun(base, label, steps, sources) {
  const planspace = join(base, label);
  mkdirSync(planspace);
  const upFront = label.endsWith('-A') || label === 'warm-up';
  const lines = ['# Schedule: living bench', ''];
  for (let n = 1; n <= (upFront ? steps : 1); n += 1) lines.push(...stepLines(n, upFront ? 'noop' : 'adder'));
  writeFileSync(join(planspace, 'schedule.md'), `${lines.join('\n')}\n`);
  const args = [workflow, 'run', planspace, '--models', sources.models, '--agents', sources.agents];
  args.push('--codespace', sources.codespace, '--max-steps', String(steps + 1));
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, STEPS: String(steps) },
    timeout: TIMEOUT_MS,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  let cpu = 0;
  const sampler = setInterval(() => (cpu = cpuOf(child.pid) ?? cpu), 100);
  const [code, signal] = await new Promise((resolve) => child.on('close', (...end) => resolve(end)));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`workflow run ${planspace} ended with ${String(signal ?? code)}: ${stderr}`);
  const { gaps } = dispatchGaps(planspace, steps);
  rmSync(planspace, { recursive: true, force: true });
  return { gap: gaps.reduce((sum, value) => sum + value, 0) / gaps.length, cpu: cpu / steps };
}

/**
 * Runs the benchmark.
 * @param {{ runs?: number, steps?: number }} options - interleaved rounds (default 3) of
 *   `steps` steps (default 1,000).
 * @returns {Promise<string>} a markdown section: heading, method, table.
 */
export async function measureLiving({ runs = 3, steps = 1000 } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'planspace-bench-living-'));
  try {
    const sources = {
      agents: join(base, 'agents'),
      codespace: join(base, 'codespace'),
      models: join(base, 'models'),
    };
    for (const dir of Object.values(sources)) mkdirSync(dir);
    writeFileSync(join(sources.agents, 'exception-handler.md'), '---\nmodel: noop\n---\n\n# Never started here\n');
    for (const [model, args] of [
      ['noop', NOOP],
      ['adder', ADDER],
    ]) {
      writeFileSync(join(sources.models, `${model}.toml`), `command = "/bin/sh"\nargs = ${JSON.stringify(args)}\n`);
    }
    await engineRun(base, 'warm-up', Math.min(steps, 100), sources);
    const results = { A: [], B: [] };
    for (let round = 0; round < runs; round += 1) {
      // Alternate the order so that a drift in the machine's load hits both alike.
      for (const kind of round % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
        results[kind].push(await engineRun(base, `r${round}-${kind}`, steps, sources));
      }
    }
    const row = (kind) => ({
      gap: median(results[kind].map((r) => r.gap)),
      cpu: median(results[kind].map((r) => r.cpu)),
    });
    const [a, b] = [row('A'), row('B')];
    const ratio = b.gap / a.gap;
    const lines = [
      '## Engine: cost per step of steps added by the agents',
      '',
      `\`node bench/living.js --runs ${runs} --steps ${steps}\`: ${steps} steps run to the end by \`workflow run\`, ` +
        `one at a time, each needing the one before; A: all written up front (no-op agent \`/bin/sh ${NOOP.join(' ')}\`); ` +
        `B: the schedule starts with step 1 and each step's agent calls \`workflow add\` for the next (a chain). ` +
        `${runs} interleaved rounds. Engine gap = mean \`done\` of step N-1 to \`dispatched\` of step N, from ` +
        `\`events.jsonl\` (1 ms resolution; the agents and their \`workflow add\` not included); engine CPU = the ` +
        `engine process's utime + stime / ${steps} (10 ms ticks), which also counts its replan on each \`added:\` ` +
        `message. Medians over the rounds.`,
      '',
      '| run | engine gap | engine CPU per step |',
      '|---|---:|---:|',
      `| A: ${steps} steps up front | ${ms(a.gap)} | ${ms(a.cpu)} |`,
      `| B: ${steps} steps added by the agents | ${ms(b.gap)} | ${ms(b.cpu)} |`,
      `| **ratio B / A** | **${ratio.toFixed(2)}x** (goal <= ${GOAL}x: ${ratio <= GOAL ? 'met' : 'missed'}) | ${(b.cpu / a.cpu).toFixed(2)}x |`,
    ];
    return lines.join('\n');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const option = (name, fallback) => {
    const at = process.argv.indexOf(name);
    return at === -1 ? fallback : Number(process.argv[at + 1]);
  };
  console.log(await measureLiving({ runs: option('--runs', 3), steps: option('--steps', 1000) }));
}
