/**
 * runJudge with a real judge process (test/fixtures/bin/agent-judge.js, configured through a
 * model TOML), on an engine context built by hand around a real planspace: the pick it prints
 * is returned only when it names an eligible candidate, every other answer is `none` with the
 * reason, and the run's log records the judge's start and verdict.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runJudge, type JudgeCandidate, type Pick } from '../../src/candidates/judge.js';
import { agentBaseEnvironment } from '../../src/dispatch/command.js';
import type { ModelSpec } from '../../src/dispatch/models.js';
import { AGENT_COMMANDS } from '../../src/dispatch/shims.js';
import { openProcessTrees } from '../../src/dispatch/trees.js';
import { AttemptNumbers } from '../../src/engine/artifacts.js';
import type { EngineContext } from '../../src/engine/context.js';
import { EngineMailbox } from '../../src/engine/messages.js';
import { holdFolder } from '../../src/fs/held-folder.js';
import { openInbox } from '../../src/mailbox/receive.js';
import { logEvent, type LoggedEvent, type RunEvent } from '../../src/planspace/log.js';
import { absolutePlanspacePaths } from '../../src/planspace/paths.js';
import { ENGINE_MAILBOX } from '../../src/prompt/render.js';
import { parseSchedule } from '../../src/schedule/parse.js';
import type { Step } from '../../src/schedule/step.js';
import { makeTree, readJsonLines, ROOT } from '../helpers.js';
import { modelToml } from '../engine/setup.js';

const AGENT_JUDGE = join(ROOT, 'test', 'fixtures', 'bin', 'agent-judge.js');

const SCHEDULE = '[run] 3. build | glm,codex -- build the thing\n';

const STEP: Step = (() => {
  const step = parseSchedule(SCHEDULE).steps[0];
  if (step === undefined) throw new Error('no step');
  return step;
})();

/** Three candidates: 1 and 2 eligible, 3 failed its verification. */
const CANDIDATES: JudgeCandidate[] = [1, 2, 3].map((k) => ({
  k,
  model: k === 2 ? 'codex' : 'glm',
  eligible: k !== 3,
  reason: k === 3 ? 'verify failed: npm test' : null,
  verify: k === 3 ? 'failed' : 'passed',
  durationMs: 1000 * k,
  summary: `candidate ${k} did it`,
  diffStat: ` f${k}.txt | 1 +\n 1 file changed, 1 insertion(+)\n`,
  diff: `+line of candidate ${k}\n`,
}));

/** What agent-judge.js saw. */
interface JudgeRecord {
  readonly prompt: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

interface JudgeSetup {
  readonly ctx: EngineContext;
  readonly planspace: string;
  readonly codespace: string;
  /** Where agent-judge.js writes what it saw. */
  readonly record: string;
  events(): Promise<LoggedEvent[]>;
}

/**
 * A planspace, a codespace, a model registry with model `judge` running agent-judge.js with
 * `env`, and an engine context over them. `agentsFile`: the text of `<root>/agents/judge.md`,
 * given as `--agents`; undefined: no `--agents`, so the package's own `agents/judge.md`.
 */
async function judgeSetup(env: Readonly<Record<string, string>>, agentsFile?: string): Promise<JudgeSetup> {
  const root = await makeTree({});
  const planspace = join(root, 'plan');
  const codespace = join(root, 'code');
  const models = join(root, 'models');
  const agents = join(root, 'agents');
  const record = join(root, 'judge-record.json');
  for (const dir of [planspace, codespace, models, agents]) await mkdir(dir);
  await writeFile(
    join(models, 'judge.toml'),
    modelToml({ command: AGENT_JUDGE, env: { JUDGE_RECORD: record, ...env } }),
  );
  if (agentsFile !== undefined) await writeFile(join(agents, 'judge.md'), agentsFile);
  // The mailbox commands an agent runs want a planspace: a folder with a schedule.
  await writeFile(join(planspace, 'schedule.md'), SCHEDULE);
  const paths = absolutePlanspacePaths(planspace);
  await mkdir(paths.artifacts, { recursive: true });
  const runBase = 'rtest';
  const trees = await openProcessTrees({ runId: runBase, cgroups: false });
  const inbox = await openInbox(paths.root, ENGINE_MAILBOX);
  const log = async (event: RunEvent, message: string): Promise<void> => {
    await logEvent(paths, event, message);
  };
  const mailbox = new EngineMailbox(paths, inbox, runBase, log);
  // The engine's reader of its mailbox, as a run has it: `done:` reports reach `mailbox.report`.
  const stopPump = new AbortController();
  const pumping = mailbox.pump(stopPump.signal);
  onTestFinished(async () => {
    stopPump.abort();
    await pumping;
    await inbox.close();
    await trees.close();
  });
  let dispatches = 0;
  const unused = { name: 'unused' } as ModelSpec;
  // Only what runJudge and waitForAgent use; every part is the engine's own (no fakes).
  const ctx: Partial<EngineContext> = {
    paths,
    artifacts: holdFolder(paths.artifacts, 'artifacts folder'),
    sources: { codespace, models, ...(agentsFile !== undefined && { agents }) },
    resolved: {
      models: new Map(),
      handler: { file: '', model: 'unused', description: '', body: '' },
      handlerModel: unused,
    },
    runBase,
    environment: agentBaseEnvironment(AGENT_COMMANDS),
    trees,
    timings: { killGraceMs: 500, reportGraceMs: 1000 },
    signal: new AbortController().signal,
    mailbox,
    attempts: new AttemptNumbers(paths.artifacts),
    newRunId: (step, kind) => `${runBase}-${kind ?? ''}${step}-${(dispatches += 1)}`,
    log,
  };
  return {
    ctx: ctx as EngineContext,
    planspace,
    codespace,
    record,
    events: () => readJsonLines<LoggedEvent>(join(planspace, 'events.jsonl')),
  };
}

const AGENT_FILE = '---\nmodel: ignored\n---\nYou are the test judge.\n';

/** Runs the judge whose last line is `says`, and returns its pick and the run's judge events. */
async function judgeSaying(
  says: string,
  extra: Readonly<Record<string, string>> = {},
): Promise<{ pick: Pick; events: LoggedEvent[] }> {
  const setup = await judgeSetup({ JUDGE_SAYS: says, ...extra }, AGENT_FILE);
  const pick = await runJudge(setup.ctx, STEP, 'judge', { task: 'Build the thing.', candidates: CANDIDATES });
  return { pick, events: await setup.events() };
}

describe('runJudge', () => {
  it('returns the eligible candidate the judge picks, and logs its start and verdict', async () => {
    const setup = await judgeSetup({ JUDGE_SAYS: 'PICK: 2 smaller' }, AGENT_FILE);
    const pick = await runJudge(setup.ctx, STEP, 'judge', { task: 'Build the thing.', candidates: CANDIDATES });
    expect(pick).toEqual({ pick: 2, reason: 'smaller' });

    const seen = JSON.parse(await readFile(setup.record, 'utf8')) as JudgeRecord;
    expect(seen.prompt.startsWith('You are the test judge.\n\n## The task\n')).toBe(true);
    expect(seen.prompt).toContain('Build the thing.');
    expect(seen.prompt).toContain('### Candidate 3: NOT eligible, may not be picked: verify failed: npm test');
    expect(seen.prompt).toContain('+line of candidate 2\n');
    expect(seen.cwd).toBe(setup.codespace);
    expect(seen.env).toMatchObject({
      WORKFLOW_AGENT: 'step-3-judge',
      WORKFLOW_STEP: '3',
      WORKFLOW_RUN_ID: 'rtest-j3-1',
    });

    const artifacts = join(setup.planspace, 'artifacts');
    expect(await readFile(join(artifacts, 'step-3-judge-attempt-1-prompt.md'), 'utf8')).toBe(seen.prompt);
    expect(await readFile(join(artifacts, 'step-3-judge-prompt.md'), 'utf8')).toBe(seen.prompt);
    expect(await readFile(join(artifacts, 'step-3-judge-output.md'), 'utf8')).toBe(
      'compared the candidates\nPICK: 2 smaller\n',
    );

    const events = await setup.events();
    expect(events.map((event) => event.event)).toEqual(['judge-dispatched', 'judge-verdict']);
    expect(events[0]).toMatchObject({ step: 3, runId: 'rtest-j3-1', model: 'judge', candidates: 3, eligible: [1, 2] });
    expect(events[1]).toMatchObject({ step: 3, runId: 'rtest-j3-1', pick: 2, reason: 'smaller' });
    expect(events[1]?.message).toBe('step 3 (build): the judge (judge) picked candidate 2: smaller');
    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toContain('step 3 (build): the judge (judge) picked candidate 2: smaller');
  });

  it("a second judge run of the step keeps the first run's files", async () => {
    const setup = await judgeSetup({ JUDGE_SAYS: 'PICK: 1 fine' }, AGENT_FILE);
    const input = { task: 't', candidates: CANDIDATES };
    expect((await runJudge(setup.ctx, STEP, 'judge', input)).pick).toBe(1);
    expect((await runJudge(setup.ctx, STEP, 'judge', input)).pick).toBe(1);
    const artifacts = join(setup.planspace, 'artifacts');
    for (const attempt of [1, 2]) {
      expect(await readFile(join(artifacts, `step-3-judge-attempt-${attempt}-output.md`), 'utf8')).toContain('PICK: 1');
    }
  });

  it.each([
    [
      'garbage',
      'I cannot decide.',
      {},
      `the judge's last line is not 'PICK: k <reason>' or 'PICK: none <reason>': "I cannot decide."`,
    ],
    [
      'a non-eligible k',
      'PICK: 3 smallest',
      {},
      'the judge picked candidate 3, which is not eligible (verify failed: npm test): "PICK: 3 smallest"',
    ],
    ['PICK: none', 'PICK: none all wrong', {}, 'the judge picked none: all wrong'],
    [
      'a judge exiting non-zero after a valid pick',
      'PICK: 2 smaller',
      { JUDGE_EXIT: '3' },
      'the judge exited with code 3; its last line: "PICK: 2 smaller"',
    ],
  ])('%s is pick none with the reason', async (_, says, extra, reason) => {
    const { pick, events } = await judgeSaying(says, extra);
    expect(pick).toEqual({ pick: 'none', reason });
    expect(events.at(-1)).toMatchObject({ event: 'judge-verdict', pick: 'none', reason });
  });

  it('a judge that reported done: and lingered is stopped, and its pick counts, as a step agent would', async () => {
    const { pick, events } = await judgeSaying('PICK: 2 smaller', { JUDGE_REPORT: '1', JUDGE_SLEEP_MS: '60000' });
    expect(pick).toEqual({ pick: 2, reason: 'smaller' });
    expect(events.at(-1)).toMatchObject({ event: 'judge-verdict', pick: 2 });
  });

  it('a judge past its timeout is stopped: pick none', async () => {
    const setup = await judgeSetup(
      { JUDGE_SAYS: 'PICK: 2 smaller', JUDGE_SLEEP_MS: '60000' },
      '---\nmodel: ignored\ntimeout: 1s\n---\nJudge.\n',
    );
    const pick = await runJudge(setup.ctx, STEP, 'judge', { task: 't', candidates: CANDIDATES });
    expect(pick).toEqual({
      pick: 'none',
      reason: 'the judge timed out after 1s and was stopped; its last line: "PICK: 2 smaller"',
    });
  });

  it('a judge that cannot start, or a model with no file, is pick none', async () => {
    const setup = await judgeSetup({}, AGENT_FILE);
    await writeFile(join(setup.ctx.sources.models ?? '', 'gone.toml'), modelToml({ command: '/no/such/judge' }));
    const gone = await runJudge(setup.ctx, STEP, 'gone', { task: 't', candidates: CANDIDATES });
    expect(gone.pick).toBe('none');
    expect(gone.reason).toMatch(/^the judge could not start: /);
    const unknown = await runJudge(setup.ctx, STEP, 'no-such-model', { task: 't', candidates: CANDIDATES });
    expect(unknown.pick).toBe('none');
    expect(unknown.reason).toMatch(/^the judge could not start: .*no-such-model/);
    const events = await setup.events();
    expect(events.filter((event) => event.event === 'judge-verdict').map((event) => event.pick)).toEqual([
      'none',
      'none',
    ]);
  });

  it('starts no judge once the run is aborted: pick none', async () => {
    const setup = await judgeSetup({ JUDGE_SAYS: 'PICK: 1 fine' }, AGENT_FILE);
    const stop = new AbortController();
    stop.abort();
    const pick = await runJudge({ ...setup.ctx, signal: stop.signal }, STEP, 'judge', {
      task: 't',
      candidates: CANDIDATES,
    });
    expect(pick).toEqual({ pick: 'none', reason: 'the run was aborted before the judge started' });
    await expect(readFile(setup.record, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('without --agents, runs the package judge.md: its body, not its frontmatter, leads the prompt', async () => {
    const setup = await judgeSetup({ JUDGE_SAYS: 'PICK: 1 fine' });
    const pick = await runJudge(setup.ctx, STEP, 'judge', { task: 't', candidates: CANDIDATES });
    expect(pick).toEqual({ pick: 1, reason: 'fine' });
    const seen = JSON.parse(await readFile(setup.record, 'utf8')) as JudgeRecord;
    expect(seen.prompt.startsWith('# Judge\n')).toBe(true);
    expect(seen.prompt).toContain('PICK: <k> <reason>');
    expect(seen.prompt).toContain('Do not modify any file');
  });
});
