/**
 * Checkpoints and rollback on real repositories: `workflow run` with agents that each commit a
 * file, `workflow checkpoints`, `workflow rollback --to N`, and a run after it that does the
 * rolled-back steps again; the refusals (live engine, uncommitted tracked changes) that change
 * nothing.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, gitLine } from '../../src/git/git.js';
import { makeRun, AGENTS_BIN, waitFor, type RunSetup } from '../engine/setup.js';

const AGENT_COMMIT = join(AGENTS_BIN, 'agent-commit.js');

const SCHEDULE = [
  '# Schedule: checkpoints',
  '',
  '[wait] 1. parser | commit -- write the parser',
  '[wait] 2. tests | commit -- write the tests',
  '[wait] 3. docs | commit -- write the docs',
  '',
].join('\n');

/** A run whose codespace is a git repository with one commit, on branch `main`. */
async function makeGitRun(env: Readonly<Record<string, string>> = {}): Promise<RunSetup> {
  const setup = await makeRun({ schedule: SCHEDULE, models: { commit: { command: AGENT_COMMIT } }, env });
  const code = setup.codespace;
  await git(code, ['init', '-q', '-b', 'main']);
  await writeFile(join(code, 'README.md'), 'the project\n');
  await git(code, ['add', 'README.md']);
  await git(code, ['-c', 'user.name=me', '-c', 'user.email=me@example.com', 'commit', '-q', '-m', 'start']);
  return setup;
}

interface ListedCheckpoint {
  readonly step: number;
  readonly runId: string;
  readonly commit: string;
  readonly short: string;
  readonly subject: string;
  readonly ref: string;
  readonly time: string;
}

async function listed(setup: RunSetup): Promise<ListedCheckpoint[]> {
  const result = await setup.workflow(['checkpoints', setup.planspace, '--json']);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { checkpoints: ListedCheckpoint[] }).checkpoints;
}

async function runIds(setup: RunSetup): Promise<string[]> {
  return (await setup.events()).filter((event) => event.event === 'started').map((event) => event.runId as string);
}

describe('checkpoints', () => {
  it('records one per done step at the commit HEAD was at, listed by workflow checkpoints', async () => {
    const setup = await makeGitRun();
    const run = await setup.run();
    expect(run.code, run.stderr).toBe(0);
    const code = setup.codespace;
    const [runId] = await runIds(setup);

    const checkpoints = await listed(setup);
    expect(checkpoints.map((entry) => entry.step)).toEqual([1, 2, 3]);
    for (const entry of checkpoints) {
      expect(entry.runId).toBe(runId);
      expect(entry.subject).toBe(`step ${entry.step}: add step-${entry.step}.txt`);
      expect(entry.short).toBe(entry.commit.slice(0, 7));
      expect(await gitLine(code, ['rev-parse', entry.ref])).toBe(entry.commit);
      expect(await gitLine(code, ['rev-parse', `main~${3 - entry.step}`])).toBe(entry.commit);
    }
    const text = await setup.workflow(['checkpoints', setup.planspace]);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[1]).toBe(
      `step 2  run ${runId}  ${checkpoints[1]?.short}  ${checkpoints[1]?.time}  step 2: add step-2.txt`,
    );
    const events = (await setup.events()).filter((event) => event.event === 'checkpoint');
    expect(events.map((event) => [event.step, event.commit])).toEqual(checkpoints.map((e) => [e.step, e.commit]));
  });

  it('are none, and no error, when the codespace is not a git repository', async () => {
    // agent-record.js, which commits nothing, is every model but `commit`.
    const setup = await makeRun({ schedule: SCHEDULE.replaceAll('| commit', '| glm') });
    const run = await setup.run();
    expect(run.code, run.stderr).toBe(0);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done', 'done']);
    expect((await setup.events()).some((event) => event.event.startsWith('checkpoint'))).toBe(false);
    expect(existsSync(join(setup.planspace, 'checkpoints.json'))).toBe(false);
    const text = await setup.workflow(['checkpoints', setup.planspace]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^no checkpoints in /);
  });
});

describe('workflow rollback', () => {
  it('moves the branch back to step 1, turns steps 2-3 back to [wait], and a new run does them again', async () => {
    const setup = await makeGitRun();
    expect((await setup.run()).code).toBe(0);
    const code = setup.codespace;
    const before = await listed(setup);
    const left = await gitLine(code, ['rev-parse', 'HEAD']);
    await writeFile(join(code, 'notes.txt'), 'my own untracked notes\n');

    const result = await setup.workflow(['rollback', setup.planspace, '--to', '1']);
    expect(result.code, result.stderr).toBe(0);
    const step1 = before[0]?.commit ?? '';
    expect(await gitLine(code, ['rev-parse', 'HEAD'])).toBe(step1);
    expect(await gitLine(code, ['symbolic-ref', '--short', 'HEAD'])).toBe('main');
    expect(existsSync(join(code, 'step-1.txt'))).toBe(true);
    expect(existsSync(join(code, 'step-2.txt'))).toBe(false);
    expect(existsSync(join(code, 'step-3.txt'))).toBe(false);
    expect(await readFile(join(code, 'notes.txt'), 'utf8')).toBe('my own untracked notes\n');
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'wait', 'wait']);

    const saved = /refs\/planspace\/rollback\/\S+/.exec(result.stdout)?.[0].replace(/\.$/, '') ?? '';
    expect(await gitLine(code, ['rev-parse', saved])).toBe(left);
    expect(result.stdout).toContain(`git -C ${code} reset --keep ${saved}`);
    expect(result.stdout).toContain(`workflow done ${setup.planspace} 2`);
    const log = (await readFile(join(setup.planspace, 'log.md'), 'utf8')).trimEnd().split('\n').at(-1) ?? '';
    expect(log).toContain("rollback to step 1's checkpoint");
    expect(log).toContain('steps 2, 3 back to [wait]');
    const event = (await setup.events()).at(-1);
    expect(event).toMatchObject({
      event: 'rollback',
      step: 1,
      commit: step1,
      from: left,
      savedRef: saved,
      reset: [2, 3],
    });
    expect((await listed(setup)).map((entry) => entry.step)).toEqual([1]);
    expect((await git(code, ['for-each-ref', 'refs/planspace/checkpoints'])).stdout).not.toContain('step-2');

    const again = await setup.run();
    expect(again.code, again.stderr).toBe(0);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done', 'done']);
    expect(existsSync(join(code, 'step-2.txt'))).toBe(true);
    expect(await gitLine(code, ['rev-list', '--count', 'HEAD'])).toBe('4');
    const second = (await runIds(setup))[1];
    const after = await listed(setup);
    expect(after.map((entry) => [entry.step, entry.runId])).toEqual([
      [1, before[0]?.runId],
      [2, second],
      [3, second],
    ]);
    expect(await gitLine(code, ['rev-parse', 'HEAD'])).toBe(after[2]?.commit);
  });

  it('refuses, exit 2 and nothing changed, while tracked files have uncommitted changes', async () => {
    const setup = await makeGitRun();
    expect((await setup.run()).code).toBe(0);
    const code = setup.codespace;
    await writeFile(join(code, 'step-2.txt'), 'edited by hand\n');
    const head = await gitLine(code, ['rev-parse', 'HEAD']);
    const schedule = await readFile(join(setup.planspace, 'schedule.md'));
    const log = await readFile(join(setup.planspace, 'log.md'));

    const result = await setup.workflow(['rollback', setup.planspace, '--to', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('uncommitted changes to tracked files: step-2.txt');
    expect(await gitLine(code, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await readFile(join(setup.planspace, 'schedule.md'))).toEqual(schedule);
    expect(await readFile(join(setup.planspace, 'log.md'))).toEqual(log);
    expect(await readFile(join(code, 'step-2.txt'), 'utf8')).toBe('edited by hand\n');
    expect((await git(code, ['for-each-ref', 'refs/planspace/rollback'])).stdout).toBe('');
  });

  it('refuses, exit 2 and nothing changed, when an untracked file stands where the checkpoint has one', async () => {
    const setup = await makeGitRun();
    expect((await setup.run()).code).toBe(0);
    const code = setup.codespace;
    await git(code, ['rm', '-q', 'step-1.txt']);
    await git(code, ['-c', 'user.name=me', '-c', 'user.email=me@example.com', 'commit', '-q', '-m', 'drop step-1.txt']);
    await writeFile(join(code, 'step-1.txt'), 'mine now\n');
    const head = await gitLine(code, ['rev-parse', 'HEAD']);
    const schedule = await readFile(join(setup.planspace, 'schedule.md'));

    const result = await setup.workflow(['rollback', setup.planspace, '--to', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Untracked working tree file 'step-1.txt' would be overwritten");
    expect(await readFile(join(code, 'step-1.txt'), 'utf8')).toBe('mine now\n');
    expect(await gitLine(code, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await readFile(join(setup.planspace, 'schedule.md'))).toEqual(schedule);
    expect((await git(code, ['for-each-ref', 'refs/planspace/rollback'])).stdout).toBe('');
  });

  it('refuses, exit 2 and nothing changed, while an engine runs the planspace', async () => {
    const setup = await makeGitRun();
    const gate = join(setup.root, 'gate');
    await setup.setModel('gated', { command: AGENT_COMMIT, env: { GATE_FILE: gate } });
    await writeFile(join(setup.planspace, 'schedule.md'), SCHEDULE.replace('2. tests | commit', '2. tests | gated'));
    const engine = setup.start();
    await waitFor('step 1 to settle', async () => (await listedSteps(setup)).includes(1));
    const head = await gitLine(setup.codespace, ['rev-parse', 'HEAD']);
    const schedule = await readFile(join(setup.planspace, 'schedule.md'));

    const result = await setup.workflow(['rollback', setup.planspace, '--to', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`is running ${setup.planspace}; stop it first with workflow abort`);
    expect(await gitLine(setup.codespace, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await readFile(join(setup.planspace, 'schedule.md'))).toEqual(schedule);

    await writeFile(gate, '');
    expect((await engine.ended).code).toBe(0);
  });

  it('says which steps have checkpoints when step N has none (exit 2)', async () => {
    const setup = await makeGitRun();
    expect((await setup.run()).code).toBe(0);
    const result = await setup.workflow(['rollback', setup.planspace, '--to', '7']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('step 7 has no checkpoint; checkpoints: steps 1, 2, 3');
  });
});

async function listedSteps(setup: RunSetup): Promise<number[]> {
  if (!existsSync(join(setup.planspace, 'checkpoints.json'))) return [];
  const text = await readFile(join(setup.planspace, 'checkpoints.json'), 'utf8');
  return (JSON.parse(text) as { checkpoints: { step: number }[] }).checkpoints.map((entry) => entry.step);
}
