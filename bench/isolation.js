// Isolation (issue 19, item 6): what `isolation: worktree` costs on a repository of 5,000 files.
//
// 1. Cost per isolated unit: a schedule of sequential steps, each agent writing one file, run
//    by `workflow run --isolation worktree` and by `--isolation none` (in a plain copy of the
//    repository); (isolated - plain) / steps is the engine's cost per isolated unit. Baseline
//    in the same run: a shell script doing, per unit, what isolation needs of git one command
//    after another (worktree add, write the file, add, commit, merge --no-ff, worktree remove,
//    branch -D). Goal: within 1.2x of the script.
// 2. 16 isolated blocks, each writing its own file, at `--concurrency 16`: wall time against
//    the same blocks without isolation plus the script's time for 16 units. Goal: within 1.3x.
//
// Rounds interleave the three runs in a random order; medians (min-max).
//
//   node bench/isolation.js [--runs N]     (default 3 rounds)
//
// Needs the built CLI (`npm run build`); `bench/run.js` gathers its section into BENCHMARKS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shuffled, summary } from './stats.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const workflow = join(root, 'bin', 'workflow.js');

const FILES = 5000;
const STEPS = 5;
const BLOCKS = 16;
const UNIT_GOAL = 1.2;
/** Longest one engine run may take (a failed unit waits for a human). */
const TIMEOUT_MS = 600_000;
const BLOCKS_GOAL = 1.3;
const IDENTITY = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@localhost',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@localhost',
};
const ENV = { ...process.env, ...IDENTITY, LC_ALL: 'C' };
/** The agent: reads its prompt, writes its run id into a file of its own. Braces are doubled:
 * in a model file, `{...}` is a placeholder and `{{`/`}}` a literal brace. */
const AGENT_SCRIPT =
  'cat >/dev/null; echo "$WORKFLOW_RUN_ID" > "unit-$WORKFLOW_STEP${{WORKFLOW_BLOCK:+-$WORKFLOW_BLOCK}}.txt"';
/** What isolation needs of git per unit, one command after another. */
const FLOOR_SCRIPT = `set -e
cd "$1"; tag="$2"; units="$3"
for i in $(seq 1 "$units"); do
  wt=".git/floor-worktrees/$tag-$i"
  git worktree add -q -b "floor/$tag/$i" "$wt" HEAD
  echo "$tag" > "$wt/unit-$i.txt"
  git -C "$wt" add -A
  git -C "$wt" commit -q -m "unit $i"
  git merge -q --no-ff -m "merge unit $i" "floor/$tag/$i"
  git worktree remove "$wt"
  git branch -q -D "floor/$tag/$i"
done
`;

const ms = (value) => `${Math.round(value)} ms`;
const spread = (s, f = ms) => `${f(s.median)} (${f(s.min).replace(' ms', '')}-${f(s.max)})`;
const ratio = (value) => `${value.toFixed(2)}x`;

const gitIn = (cwd, ...args) => execFileSync('git', args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });

/** A repository of `FILES` small files in 50 folders, one commit on `main`. */
function makeRepository(dir) {
  mkdirSync(dir);
  for (let folder = 0; folder < 50; folder += 1) {
    mkdirSync(join(dir, `src${folder}`));
    for (let file = 0; file < FILES / 50; file += 1) {
      writeFileSync(join(dir, `src${folder}`, `file${file}.txt`), `folder ${folder} file ${file}\n`);
    }
  }
  gitIn(dir, 'init', '-q', '-b', 'main');
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'five thousand files');
}

/** A planspace of `STEPS` sequential steps, or one step of `BLOCKS` blocks. */
function writePlanspace(dir, shape) {
  mkdirSync(dir);
  const lines = ['# Schedule: isolation bench', ''];
  if (shape === 'steps') {
    for (let n = 1; n <= STEPS; n += 1) lines.push(`[wait] ${n}. unit-${n} | writer -- write one file`);
  } else {
    const blocks = Array.from({ length: BLOCKS }, (_, i) => `b${i + 1}`).join(', ');
    lines.push('[wait] 1. fan-out | writer -- one file per block', `  - blocks: ${blocks}`);
  }
  writeFileSync(join(dir, 'schedule.md'), `${lines.join('\n')}\n`);
}

/** One `workflow run`, timed as a whole process; checks that it completed. */
function engineRun(base, label, shape, codespace, isolation, sources) {
  const planspace = join(base, label);
  writePlanspace(planspace, shape);
  const args = [workflow, 'run', planspace, '--models', sources.models, '--agents', sources.agents];
  args.push('--codespace', codespace, '--isolation', isolation, '--concurrency', String(BLOCKS));
  const start = performance.now();
  // A failed unit would wait for a human's answer: stopped (SIGTERM, a clean abort) instead.
  const result = spawnSync(process.execPath, args, {
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
  });
  const elapsed = performance.now() - start;
  if (result.status !== 0 || !result.stdout.includes('COMPLETE')) {
    throw new Error(`workflow run ${planspace}: exit ${String(result.status)} ${result.stderr}`);
  }
  rmSync(planspace, { recursive: true, force: true });
  return elapsed;
}

/** The shell script for `units` units in `repository`, timed as a whole process. */
function floorRun(repository, tag, units) {
  const start = performance.now();
  const result = spawnSync('/bin/sh', ['-c', FLOOR_SCRIPT, 'floor', repository, tag, String(units)], {
    env: ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`git floor script: ${result.stderr}`);
  return elapsed;
}

/**
 * Runs the benchmark.
 * @param {{ runs?: number }} options - interleaved rounds (default 3).
 * @returns {string} a markdown section.
 */
export function measureIsolation({ runs = 3 } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'planspace-bench-isolation-'));
  try {
    const sources = { models: join(base, 'models'), agents: join(base, 'agents') };
    for (const dir of Object.values(sources)) mkdirSync(dir);
    writeFileSync(
      join(sources.models, 'writer.toml'),
      `command = "/bin/sh"\nargs = ${JSON.stringify(['-c', AGENT_SCRIPT])}\n`,
    );
    writeFileSync(join(sources.agents, 'exception-handler.md'), '---\nmodel: writer\n---\n\n# Never started here\n');
    const isolated = join(base, 'code-isolated');
    makeRepository(isolated);
    const plain = join(base, 'code-plain');
    const floor = join(base, 'code-floor');
    cpSync(isolated, plain, { recursive: true });
    cpSync(isolated, floor, { recursive: true });
    // Warm the page cache.
    floorRun(isolated, 'warm-up', 1);
    floorRun(floor, 'warm-up', 1);
    const units = { isolated: [], plain: [], floor: [] };
    const blocks = { isolated: [], plain: [], floor: [] };
    for (let round = 0; round < runs; round += 1) {
      const jobs = [
        () => units.isolated.push(engineRun(base, `u-iso-${round}`, 'steps', isolated, 'worktree', sources)),
        () => units.plain.push(engineRun(base, `u-plain-${round}`, 'steps', plain, 'none', sources)),
        () => units.floor.push(floorRun(floor, `u${round}`, STEPS)),
        () => blocks.isolated.push(engineRun(base, `b-iso-${round}`, 'blocks', isolated, 'worktree', sources)),
        () => blocks.plain.push(engineRun(base, `b-plain-${round}`, 'blocks', plain, 'none', sources)),
        () => blocks.floor.push(floorRun(floor, `b${round}`, BLOCKS)),
      ];
      for (const job of shuffled(jobs)) job();
    }
    const perUnit = units.isolated.map((iso, i) => (iso - units.plain[i]) / STEPS);
    const floorPerUnit = units.floor.map((value) => value / STEPS);
    const unitRatio = summary(perUnit.map((value, i) => value / floorPerUnit[i]));
    const blocksRatio = summary(blocks.isolated.map((iso, i) => iso / (blocks.plain[i] + blocks.floor[i])));
    const verdict = (value, goal) => (value <= goal ? 'met' : 'missed');
    return [
      '## Isolation: worktrees and merges',
      '',
      `\`node bench/isolation.js --runs ${runs}\`: a repository of ${FILES} files (50 folders, one commit). ` +
        `Each agent (\`/bin/sh\`) writes one file of its own. Cost per isolated unit: ${STEPS} sequential steps ` +
        `run by \`workflow run --isolation worktree\`, minus the same with \`--isolation none\` (in a copy), ` +
        `divided by ${STEPS}; baseline: a shell script doing per unit \`git worktree add\`, the write, \`git add ` +
        `-A\`, \`git commit\`, \`git merge --no-ff\`, \`git worktree remove\`, \`git branch -D\`, one after ` +
        `another. Blocks: one step of ${BLOCKS} blocks at \`--concurrency ${BLOCKS}\`, isolated, against the same ` +
        `without isolation plus the script for ${BLOCKS} units. ${runs} rounds, each running the six measures ` +
        `in a random order; median (min-max).`,
      '',
      '| measure | median (min-max) | ratio | goal |',
      '|---|---:|---:|---|',
      `| git floor: the script, per unit | ${spread(summary(floorPerUnit))} | 1.00x | |`,
      `| \`workflow run\`, ${STEPS} steps, isolated | ${spread(summary(units.isolated))} | | |`,
      `| \`workflow run\`, ${STEPS} steps, not isolated | ${spread(summary(units.plain))} | | |`,
      `| engine's cost per isolated unit | ${spread(summary(perUnit))} | **${ratio(unitRatio.median)}** ` +
        `(${ratio(unitRatio.min)}-${ratio(unitRatio.max)}) | <= ${UNIT_GOAL}x of the floor ` +
        `(${verdict(unitRatio.median, UNIT_GOAL)}) |`,
      `| git floor: the script, ${BLOCKS} units | ${spread(summary(blocks.floor))} | | |`,
      `| ${BLOCKS} blocks, not isolated | ${spread(summary(blocks.plain))} | | |`,
      `| ${BLOCKS} blocks, isolated | ${spread(summary(blocks.isolated))} | **${ratio(blocksRatio.median)}** ` +
        `(${ratio(blocksRatio.min)}-${ratio(blocksRatio.max)}) of not isolated + floor | <= ${BLOCKS_GOAL}x ` +
        `(${verdict(blocksRatio.median, BLOCKS_GOAL)}) |`,
    ].join('\n');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsArg = process.argv.indexOf('--runs');
  console.log(measureIsolation({ runs: runsArg === -1 ? 3 : Number(process.argv[runsArg + 1]) }));
}
