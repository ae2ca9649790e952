/**
 * A living schedule (issue 21, items 1, 2 and 5): agents add steps with `workflow add` while
 * `workflow run` runs, and the same run takes them; the loop guard ends a runaway loop; an
 * engine killed between an add and its dispatch leaves the added step to the next run.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSchedule } from '../../src/schedule/operations.js';
import { AGENTS_BIN, makeRun, waitFor, type ModelEntry, type RunSetup } from './setup.js';

const AGENT_ADD = join(AGENTS_BIN, 'agent-add.js');

/** A run whose schedule is `steps`, with the adding agent as model `adder` in `mode` (and its state folder). */
async function makeAddRun(
  schedule: string,
  mode: string,
  extra: Readonly<Record<string, ModelEntry>> = {},
): Promise<{ setup: RunSetup; state: string }> {
  const setup = await makeRun({ schedule });
  const state = join(setup.root, 'state');
  await mkdir(state);
  const env = { ADD_MODE: mode, STATE_DIR: state, RECORD_DIR: setup.records };
  await setup.setModel('adder', { command: AGENT_ADD, env });
  for (const [name, entry] of Object.entries(extra)) {
    await setup.setModel(name, { ...entry, env: { STATE_DIR: state, RECORD_DIR: setup.records, ...entry.env } });
  }
  return { setup, state };
}

/** The steps dispatched and settled done, in the order of events.jsonl. */
async function dispatchedAndDone(setup: RunSetup): Promise<{ dispatched: number[]; done: number[] }> {
  const events = await setup.events();
  const steps = (name: string): number[] => events.filter((e) => e.event === name).map((e) => e.step ?? 0);
  return { dispatched: steps('dispatched'), done: steps('done') };
}

describe('workflow run: steps added by agents', () => {
  it('runs both steps an agent added, in the same run', async () => {
    const { setup } = await makeAddRun('# Schedule: living\n\n[wait] 1. plan | adder -- add two steps\n', 'two');
    const result = await setup.run();
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    const schedule = await readSchedule(setup.planspace);
    expect(schedule.steps.map((step) => [step.number, step.status, step.attributes])).toEqual([
      [1, 'done', {}],
      [2, 'done', { addedBy: 1, needs: [1] }],
      [3, 'done', { addedBy: 1, needs: [1] }],
    ]);
    const { dispatched, done } = await dispatchedAndDone(setup);
    expect(dispatched.sort()).toEqual([1, 2, 3]);
    expect(done.sort()).toEqual([1, 2, 3]);
    const added = (await setup.events()).filter((e) => e.event === 'step-added');
    expect(added.map((e) => [e.step, e.addedBy])).toEqual([
      [2, 1],
      [3, 1],
    ]);
    expect(await readFile(join(setup.planspace, 'log.md'), 'utf8')).toMatch(/step 2 added by step 1 \(workflow add\)/);
  }, 60_000);

  it('starts an added step whose needs are met at once, while its adder still runs', async () => {
    const { setup } = await makeAddRun('[wait] 1. plan | adder -- add a step and wait for it\n', 'at-once');
    const result = await setup.run();
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect([...(await setup.statuses()).entries()]).toEqual([
      [1, 'done'],
      [2, 'done'],
    ]);
    // Step 2 was dispatched before step 1 was done: step 1's agent waited for it.
    const order = (await setup.events()).map((e) => `${e.event} ${String(e.step)}`);
    expect(order.indexOf('dispatched 2')).toBeGreaterThan(-1);
    expect(order.indexOf('dispatched 2')).toBeLessThan(order.indexOf('done 1'));
  }, 60_000);

  it('starts a step added from a shell at once, while the only running step still runs', async () => {
    const setup = await makeRun({ schedule: '[wait] 1. first | slow -- works until told to stop\n' });
    const go = join(setup.root, 'go');
    await setup.setModel('slow', { command: join(AGENTS_BIN, 'agent-wait-file.js'), env: { GO_FILE: go } });
    const engine = setup.start();
    await waitFor('step 1 to be dispatched', async () =>
      (await setup.eventsSoFar()).some((e) => e.event === 'dispatched' && e.step === 1),
    );
    const added = await setup.workflow(['add', setup.planspace, 'side | glm -- added by hand', '--needs', 'none']);
    expect(added).toMatchObject({ code: 0, stdout: '2\n' });
    // Step 1 goes on until `go` exists: only the add can have started step 2.
    await waitFor('step 2 to be done', async () =>
      (await setup.eventsSoFar()).some((e) => e.event === 'done' && e.step === 2),
    );
    await writeFile(go, '');
    expect(await engine.ended).toMatchObject({ code: 0, stderr: '' });
    expect((await setup.events()).filter((e) => e.event === 'step-added').map((e) => e.message)).toEqual([
      'step 2 added (workflow add)',
    ]);
  }, 60_000);

  it('a review that adds a fix and a re-review until the fixes make it clean: 3 rounds, then it stops', async () => {
    const { setup, state } = await makeAddRun('[wait] 1. review | reviewer -- review the change\n', 'review', {
      reviewer: { command: AGENT_ADD, env: { ADD_MODE: 'review', ROUNDS: '3' } },
      fixer: { command: AGENT_ADD, env: { ADD_MODE: 'fix' } },
    });
    const result = await setup.run();
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    const steps = (await readSchedule(setup.planspace)).steps;
    expect(steps.map((step) => `${step.number}. ${step.name} ${step.status}`)).toEqual([
      '1. review done',
      '2. fix done',
      '3. re-review done',
      '4. fix done',
      '5. re-review done',
      '6. fix done',
      '7. re-review done',
    ]);
    // Each fix needs the review that added it; each re-review needs its fix.
    expect(steps.slice(1).map((step) => [step.attributes.addedBy, step.attributes.needs])).toEqual([
      [1, [1]],
      [1, [2]],
      [3, [3]],
      [3, [4]],
      [5, [5]],
      [5, [6]],
    ]);
    expect(await readFile(join(state, 'fixes'), 'utf8')).toBe('3');
    expect(await readFile(join(state, 'ran.txt'), 'utf8')).toBe(
      ['review 1', 'fix 2', 'review 3', 'fix 4', 'review 5', 'fix 6', 'review 7', ''].join('\n'),
    );
  }, 120_000);

  it('runs the fixes and re-reviews a review selected by --only adds, and no other step', async () => {
    const schedule = '[wait] 1. other | reviewer -- not selected\n[wait] 2. review | reviewer -- review the change\n';
    const { setup, state } = await makeAddRun(schedule, 'review', {
      reviewer: { command: AGENT_ADD, env: { ADD_MODE: 'review', ROUNDS: '2' } },
      fixer: { command: AGENT_ADD, env: { ADD_MODE: 'fix' } },
    });
    const result = await setup.run(['--only', '2']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/SELECTION DONE: steps 2, 3, 4, 5, 6 done; 1 step still waits\n$/);
    const steps = (await readSchedule(setup.planspace)).steps;
    expect(steps.map((step) => `${step.number}. ${step.name} ${step.status}`)).toEqual([
      '1. other wait',
      '2. review done',
      '3. fix done',
      '4. re-review done',
      '5. fix done',
      '6. re-review done',
    ]);
    expect(await readFile(join(state, 'ran.txt'), 'utf8')).toBe(
      ['review 2', 'fix 3', 'review 4', 'fix 5', 'review 6', ''].join('\n'),
    );
  }, 120_000);
});

describe('workflow run: the loop guard', () => {
  it('stops a step that adds forever at --max-added; the run ends and logs the refusal', async () => {
    const { setup, state } = await makeAddRun('[wait] 1. loop | adder -- adds forever\n', 'forever');
    const result = await setup.run(['--max-added', '3']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect((await readSchedule(setup.planspace)).steps.map((step) => step.number)).toEqual([1, 2, 3, 4]);
    expect(await readFile(join(state, 'refused-1.txt'), 'utf8')).toMatch(
      /^1\nrefused to add a step: step 1 already added 3 steps in run r\w+ \(--max-added 3\): 2, 3, 4\n$/,
    );
    const refused = (await setup.events()).filter((e) => e.event === 'add-refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ step: 1, reason: expect.stringMatching(/--max-added 3/) as unknown });
    expect((await dispatchedAndDone(setup)).done.sort()).toEqual([1, 2, 3, 4]);
  }, 60_000);

  it('stops a chain of steps that each add one more at --max-steps', async () => {
    const { setup, state } = await makeAddRun('[wait] 1. chain | chainer -- adds one more\n', 'chain', {
      chainer: { command: AGENT_ADD, env: { ADD_MODE: 'chain', MODEL: 'chainer' } },
    });
    const result = await setup.run(['--max-steps', '5']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const steps = (await readSchedule(setup.planspace)).steps;
    expect(steps.map((step) => `${step.number} ${step.status}`)).toEqual([
      '1 done',
      '2 done',
      '3 done',
      '4 done',
      '5 done',
    ]);
    expect(await readFile(join(state, 'refused-5.txt'), 'utf8')).toMatch(/already holds 5 steps \(--max-steps 5\)/);
    expect((await setup.events()).filter((e) => e.event === 'add-refused').map((e) => e.step)).toEqual([5]);
  }, 60_000);
});

describe('workflow run: an engine killed between an add and its dispatch', () => {
  it('leaves the added step to the next run, which runs it', async () => {
    const { setup, state } = await makeAddRun('[wait] 1. plan | adder -- add a step, then hang\n', 'hang');
    const engine = setup.start();
    await waitFor('the add', () => existsSync(join(state, 'added')));
    process.kill(engine.pid, 'SIGKILL');
    await engine.ended;
    expect([...(await setup.statuses()).entries()]).toEqual([
      [1, 'run'],
      [2, 'wait'],
    ]);
    const result = await setup.run();
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).entries()]).toEqual([
      [1, 'done'],
      [2, 'done'],
    ]);
    const { dispatched, done } = await dispatchedAndDone(setup);
    expect(dispatched).toEqual([1, 1, 2]);
    expect(done).toEqual([1, 2]);
  }, 60_000);
});
