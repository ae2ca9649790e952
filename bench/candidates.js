// Best of N (issue 20, item 7): `candidates: 8` with `judge: first`, where candidate 3 finishes
// first and the seven others would run 30 s.
//
// 1. Wall time of the race (`--concurrency 8`) against candidate 3 alone: the same step without
//    `candidates:`, its one agent doing what candidate 3 does, under `isolation: worktree` (one
//    worktree and one merge). Goal: within 1.1x.
// 2. How long each loser's agent lives after the race is won: each loser's shell writes the time
//    (ns) at which it takes the SIGTERM of its stop; measured from the winner's `candidate-ended`
//    line, which the engine writes right after it signalled the losers. Goal: none past 100 ms.
//
// Rounds interleave the two runs in a random order; medians (min-max).
//
//   node bench/candidates.js [--runs N] [--work MS]     (default 3 rounds; the winner works 500 ms)
//
// Needs the built CLI (`npm run build`); `bench/run.js` gathers its section into BENCHMARKS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shuffled, summary } from './stats.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const workflow = join(root, 'bin', 'workflow.js');

const CANDIDATES = 8;
const WINNER = 3;
const FILES = 500;
const WALL_GOAL = 1.1;
const STOP_GOAL_MS = 100;
const TIMEOUT_MS = 300_000;
/** A tmpfs on Linux: the bench's second place for worktrees. */
const SHM = '/dev/shm';
const IDENTITY = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@localhost',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@localhost',
};
const ENV = { ...process.env, ...IDENTITY, LC_ALL: 'C' };
/**
 * The agent: the winner (candidate 3, or the step's only agent) works `workMs` (default 500)
 * and writes a file; a loser waits 30 s in the background, and on SIGTERM writes when it took
 * it and exits. Braces are doubled: in a model file `{...}` is a placeholder and `{{`/`}}` a
 * literal brace.
 */
const agentScript = (workMs) =>
  [
    'cat >/dev/null',
    `if [ "$WORKFLOW_CANDIDATE" = ${WINNER} ] || [ -z "$WORKFLOW_CANDIDATE" ]; then sleep ${workMs / 1000}; echo won > won.txt; exit 0; fi`,
    `trap 'date +%s%N > "$STOPS/$WORKFLOW_RUN_ID"; exit 143' TERM`,
    'sleep 30 & wait',
  ].join('\n');

const ms = (value) => `${Math.round(value)} ms`;
const spread = (s, f = ms) => `${f(s.median)} (${f(s.min).replace(' ms', '')}-${f(s.max)})`;
const ratio = (value) => `${value.toFixed(2)}x`;

const gitIn = (cwd, ...args) => execFileSync('git', args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });

/** A repository of `FILES` small files, one commit on `main`. */
function makeRepository(dir) {
  mkdirSync(dir);
  for (let file = 0; file < FILES; file += 1) writeFileSync(join(dir, `file${file}.txt`), `file ${file}\n`);
  gitIn(dir, 'init', '-q', '-b', 'main');
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'files');
}

/** One `workflow run` of the race (`candidates`) or of the winner alone, timed as a whole process. */
function engineRun(base, label, shape, codespace, sources, worktrees) {
  const planspace = join(base, label);
  mkdirSync(planspace);
  const attributes =
    shape === 'race' ? [`  - candidates: ${CANDIDATES}`, '  - judge: first'] : ['  - isolation: worktree'];
  writeFileSync(
    join(planspace, 'schedule.md'),
    ['# Schedule: candidates bench', '', '[wait] 1. race | writer -- write won.txt', ...attributes, ''].join('\n'),
  );
  const args = [workflow, 'run', planspace, '--models', sources.models, '--agents', sources.agents];
  args.push('--codespace', codespace, '--concurrency', String(CANDIDATES));
  if (worktrees !== undefined) args.push('--worktrees', worktrees);
  const start = performance.now();
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
  const events = readFileSync(join(planspace, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
  // Undo the merge so that every run starts from the same repository.
  gitIn(codespace, 'reset', '-q', '--hard', 'HEAD~1');
  for (const ref of gitIn(codespace, 'for-each-ref', '--format=%(refname)', 'refs/planspace/').toString().split('\n')) {
    if (ref !== '') gitIn(codespace, 'update-ref', '-d', ref);
  }
  rmSync(planspace, { recursive: true, force: true });
  return { elapsed, events };
}

/** The ms from the winner's `candidate-ended` line to each loser's stop, as each wrote it. */
function stopLags(events, stops) {
  const won = events.find((e) => e.event === 'candidate-ended' && e.eligible === true);
  const at = Date.parse(won.time);
  const lags = [];
  for (const name of readdirSync(stops)) {
    const written = readFileSync(join(stops, name), 'utf8').trim();
    rmSync(join(stops, name));
    // Empty: the loser's tree was killed while its trap wrote the time, which says nothing of when.
    if (written !== '') lags.push(Number(BigInt(written) / 1_000_000n) - at);
  }
  return lags;
}

/**
 * Where the worktrees go: the default (under the repository's `.git`, on its disk), and a
 * tmpfs by `--worktrees` when the machine has one (`/dev/shm`).
 * @returns {{ name: string, folder?: string }[]}
 */
function placements(base) {
  const list = [{ name: 'default (.git, on disk)' }];
  if (existsSync(SHM))
    list.push({ name: 'tmpfs (`--worktrees /dev/shm/...`)', folder: mkdtempSync(join(SHM, `${basename(base)}-`)) });
  return list;
}

/**
 * Runs the benchmark.
 * @param {{ runs?: number, workMs?: number }} options - interleaved rounds (default 3); how
 *   long the winner's agent works, in ms (default 500).
 * @returns {string} a markdown section.
 */
export function measureCandidates({ runs = 3, workMs = 500 } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'planspace-bench-candidates-'));
  const where = placements(base);
  try {
    const sources = { models: join(base, 'models'), agents: join(base, 'agents') };
    for (const dir of Object.values(sources)) mkdirSync(dir);
    const stops = join(base, 'stops');
    mkdirSync(stops);
    writeFileSync(
      join(sources.models, 'writer.toml'),
      `command = "/bin/sh"\nargs = ${JSON.stringify(['-c', agentScript(workMs)])}\n[env]\nSTOPS = ${JSON.stringify(stops)}\n`,
    );
    writeFileSync(join(sources.agents, 'exception-handler.md'), '---\nmodel: writer\n---\n\n# Never started here\n');
    const codespace = join(base, 'code');
    makeRepository(codespace);
    const results = where.map(() => ({ race: [], alone: [], lags: [], stopped: [] }));
    for (let round = 0; round < runs; round += 1) {
      const jobs = where.flatMap(({ folder }, i) => {
        const result = results[i];
        return [
          () => {
            const run = engineRun(base, `race-${round}-${i}`, 'race', codespace, sources, folder);
            result.race.push(run.elapsed);
            const each = stopLags(run.events, stops);
            result.stopped.push(each.length);
            result.lags.push(...each);
          },
          () => result.alone.push(engineRun(base, `alone-${round}-${i}`, 'alone', codespace, sources, folder).elapsed),
        ];
      });
      for (const job of shuffled(jobs)) job();
    }
    const verdict = (ok) => (ok ? 'met' : 'missed');
    const rows = where.flatMap(({ name }, i) => {
      const { race, alone, lags } = results[i];
      const wall = summary(race.map((value, k) => value / alone[k]));
      const lag = summary(lags);
      return [
        `| ${name} | winner alone, isolated | ${spread(summary(alone))} | 1.00x | |`,
        `| ${name} | race of ${CANDIDATES}, judge first | ${spread(summary(race))} | **${ratio(wall.median)}** ` +
          `(${ratio(wall.min)}-${ratio(wall.max)}) | <= ${WALL_GOAL}x (${verdict(wall.median <= WALL_GOAL)}) |`,
        `| ${name} | a loser's life after the win | ${spread(lag)} | | <= ${STOP_GOAL_MS} ms, the worst ` +
          `(${verdict(lag.max <= STOP_GOAL_MS)}) |`,
      ];
    });
    return [
      '## Candidates: a race of 8',
      '',
      `\`node bench/candidates.js --runs ${runs}${workMs === 500 ? '' : ` --work ${workMs}`}\`: a repository of ${FILES} files. One step with ` +
        `\`candidates: ${CANDIDATES}\` and \`judge: first\` at \`--concurrency ${CANDIDATES}\`: candidate ${WINNER}'s ` +
        `agent (\`/bin/sh\`) works ${workMs} ms and writes a file, the others would run 30 s. Against the same step ` +
        `without candidates under \`isolation: worktree\`, its agent doing what candidate ${WINNER} does (one ` +
        `worktree, one merge), with its worktree in the same place. Worktrees made where \`workflow run\` makes ` +
        `them by default, and on a tmpfs: git makes them one at a time, and candidate ${WINNER} waits for three, ` +
        `so the cost of creating ${FILES} files where they go decides the ratio. Losers' lag: from the winner's ` +
        `\`candidate-ended\` line to the moment each loser's shell took its SIGTERM (its own clock); ` +
        `${results.map((r) => r.stopped.join(', ')).join('; ')} losers stopped per round. ${runs} rounds, each ` +
        `running every run in a random order; median (min-max).`,
      '',
      '| worktrees | measure | median (min-max) | ratio | goal |',
      '|---|---|---:|---:|---|',
      ...rows,
    ].join('\n');
  } finally {
    rmSync(base, { recursive: true, force: true });
    for (const { folder } of where) if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const option = (name, fallback) => {
    const at = process.argv.indexOf(name);
    return at === -1 ? fallback : Number(process.argv[at + 1]);
  };
  console.log(measureCandidates({ runs: option('--runs', 3), workMs: option('--work', 500) }));
}
