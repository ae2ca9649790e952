/**
 * Stopping a run, through real processes: `workflow abort` or SIGTERM while an agent with a
 * grandchild runs, a SIGKILLed engine and the run that recovers after it, and a second engine
 * refused while the first is alive.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import { AGENT_RECORD, AGENT_TREE, makeRun, readJsonIfThere, waitFor, waitForExit, type RunSetup } from './setup.js';

const SCHEDULE = [
  '# Schedule: stopping',
  '',
  '[wait] 1. prepare | glm -- get things ready',
  '[wait] 2. long | tree -- starts a helper process and works for a long time',
  '[wait] 3. finish | glm -- wrap up',
  '',
].join('\n');

/** The pids agent-tree.js writes once it has started its grandchild. */
interface TreePids {
  readonly agent: number;
  readonly grandchild: number;
}

/** A planspace whose step 2 runs agent-tree.js, which records its pids in `<root>/pids.json`. */
async function makeTreeRun(): Promise<{ setup: RunSetup; pidsFile: string }> {
  const setup = await makeRun({ schedule: SCHEDULE, models: { tree: { command: AGENT_TREE, args: ['PIDS'] } } });
  const pidsFile = join(setup.root, 'pids.json');
  await setup.setModel('tree', { command: AGENT_TREE, args: [pidsFile] });
  return { setup, pidsFile };
}

/** Waits for agent-tree.js to be running with its grandchild; both are killed when the test ends. */
async function treeStarted(setup: RunSetup, pidsFile: string): Promise<TreePids> {
  const pids = await waitFor('agent-tree.js to record its pids', () => readJsonIfThere<TreePids>(pidsFile));
  setup.track(pids.agent);
  setup.track(pids.grandchild);
  expect(isProcessAlive(pids.agent)).toBe(true);
  expect(isProcessAlive(pids.grandchild)).toBe(true);
  return pids;
}

describe('workflow run: abort', () => {
  it.each([
    ['workflow abort from another shell', 'abort'],
    ['SIGTERM to the engine', 'SIGTERM'],
  ] as const)('%s: exit 4, the step back to [wait], agent and grandchild gone', async (_, how) => {
    const { setup, pidsFile } = await makeTreeRun();
    const engine = setup.start();
    const pids = await treeStarted(setup, pidsFile);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'run', 'wait']);

    if (how === 'abort') {
      const abort = await setup.workflow(['abort', setup.planspace]);
      expect(abort).toMatchObject({ code: 0, stdout: `aborted:${engine.pid}\n` });
    } else {
      process.kill(engine.pid, 'SIGTERM');
    }
    const result = await engine.ended;
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/ABORTED\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'wait', 'wait']);
    await waitForExit(pids.agent, 'the agent');
    await waitForExit(pids.grandchild, "the agent's grandchild");
    const events = await setup.events();
    expect(events.at(-1)).toMatchObject({ event: 'aborted', step: 2 });
    // The hold is released: a new run may start at once.
    expect(await readJsonIfThere(join(setup.planspace, 'engine.json'))).toBeUndefined();
  });
});

describe('workflow run: recovery after the engine was killed', () => {
  it('dispatches the [run] step again under a new run id and completes', async () => {
    const { setup, pidsFile } = await makeTreeRun();
    const first = setup.start();
    const pids = await treeStarted(setup, pidsFile);
    process.kill(first.pid, 'SIGKILL');
    expect(await first.ended).toMatchObject({ signal: 'SIGKILL' });
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'run', 'wait']);
    // A finding, not a requirement of this test: the agent runs in its own process group, so
    // a SIGKILLed engine cannot take it down; whether it survived is printed for the report.
    console.info(
      `after SIGKILL of the engine: agent ${isProcessAlive(pids.agent) ? 'ALIVE' : 'gone'}, grandchild ${isProcessAlive(pids.grandchild) ? 'ALIVE' : 'gone'}`,
    );

    await setup.setModel('tree', { command: AGENT_RECORD, env: { RECORD_DIR: setup.records } });
    const second = await setup.run();
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done', 'done']);

    const events = await setup.events();
    const started = events.filter((e) => e.event === 'started');
    expect(started.map((e) => e.pid)).toEqual([first.pid, expect.any(Number)]);
    const step2 = events.filter((e) => e.step === 2).map((e) => [e.event, e.runId]);
    const [firstRunId, secondRunId] = events
      .filter((e) => e.step === 2 && e.event === 'dispatched')
      .map((e) => e.runId);
    expect(step2).toEqual([
      ['dispatched', firstRunId],
      ['resumed', undefined],
      ['dispatched', secondRunId],
      ['done', secondRunId],
    ]);
    // Each engine run has its own run id, and each dispatch's run id is under its engine's.
    const [firstRun, secondRun] = started.map((e) => String(e.runId));
    expect(secondRun).not.toBe(firstRun);
    expect(String(firstRunId).startsWith(`${String(firstRun)}-`)).toBe(true);
    expect(String(secondRunId).startsWith(`${String(secondRun)}-`)).toBe(true);
    expect((await setup.record(2)).env.WORKFLOW_RUN_ID).toBe(secondRunId);
    console.info(
      `after the recovering run: the killed engine's agent ${isProcessAlive(pids.agent) ? 'ALIVE' : 'gone'}, grandchild ${isProcessAlive(pids.grandchild) ? 'ALIVE' : 'gone'}`,
    );
  });
});

describe('workflow run: one engine per planspace', () => {
  it('refuses a second run with exit 2, naming the running engine, and leaves the first running', async () => {
    const { setup, pidsFile } = await makeTreeRun();
    const first = setup.start();
    const pids = await treeStarted(setup, pidsFile);

    const second = await setup.run();
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`is being run by another engine (pid ${first.pid}`);
    expect(second.stdout).toBe('');
    expect(isProcessAlive(first.pid)).toBe(true);
    expect(isProcessAlive(pids.agent)).toBe(true);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'run', 'wait']);
    expect((await setup.events()).filter((e) => e.event === 'started')).toHaveLength(1);

    expect(await setup.workflow(['abort', setup.planspace])).toMatchObject({ code: 0 });
    expect((await first.ended).code).toBe(4);
  });
});
