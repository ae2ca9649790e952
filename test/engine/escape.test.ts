/**
 * Agents whose descendants leave their process group (`setsid`, a double fork, both ignoring
 * SIGTERM) must not outlive a timeout, `workflow abort`, Ctrl-C or a double Ctrl-C of
 * `workflow run`; nor may the engine's hold (`engine.json`) stay behind. Each case runs with
 * cgroup tracking (where this machine allows it) and with the environment marker
 * (`PLANSPACE_CGROUPS=0`). Real engines and agents throughout.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ownCgroupFolder } from '../../src/dispatch/cgroup.js';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import { AGENTS_BIN, makeRun, readJsonIfThere, waitFor, type EngineProcess, type RunSetup } from './setup.js';

const AGENT_ESCAPE = join(AGENTS_BIN, 'agent-escape.js');
const ROLES = ['agent', 'setsid', 'orphan'] as const;

const SCHEDULE = [
  '# Schedule: escaping agents',
  '',
  '[wait] 1. prepare | glm -- get things ready',
  '[wait] 2. daemon | escape -- starts processes that leave its process group',
  '',
].join('\n');

/** Tracking modes to test: the environment marker always, cgroups where this process may. */
const MODES = [
  ['cgroup', ownCgroupFolder() !== undefined],
  ['environment', true],
] as const;

/** A run whose step 2 is agent-escape.js (pid files in `<root>/pids`), step 2 with `extra` attributes. */
async function makeEscapeRun(
  mode: 'cgroup' | 'environment',
  attributes: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<{ setup: RunSetup; pidsDir: string }> {
  const schedule = SCHEDULE.replace(/(\[wait\] 2\..*\n)/, `$1${attributes.map((line) => `  - ${line}\n`).join('')}`);
  const setup = await makeRun({
    schedule,
    env: { ...env, ...(mode === 'environment' ? { PLANSPACE_CGROUPS: '0' } : {}) },
  });
  const pidsDir = setup.records;
  await setup.setModel('escape', { command: AGENT_ESCAPE, args: [pidsDir] });
  return { setup, pidsDir };
}

/** The pids of the agent and its two escapees, once all three are recorded; killed after the test. */
async function escapedPids(setup: RunSetup, pidsDir: string): Promise<number[]> {
  const pids = await waitFor('agent-escape.js and its escapees to record their pids', async () => {
    const read = await Promise.all(ROLES.map((role) => readFile(join(pidsDir, `${role}.pid`), 'utf8').catch(() => '')));
    return read.every((text) => text !== '') ? read.map(Number) : undefined;
  });
  for (const pid of pids) setup.track(pid);
  return pids;
}

/** Waits until no process of the tree is alive (a zombie counts as gone). */
function treeGone(pids: readonly number[]): Promise<true> {
  return waitFor(`every process of the agent's tree (${pids.join(', ')}) to be gone`, () =>
    pids.every((pid) => !isProcessAlive(pid)),
  );
}

async function expectNoHold(setup: RunSetup): Promise<void> {
  expect(await readJsonIfThere(join(setup.planspace, 'engine.json'))).toBeUndefined();
}

/** Checks the run logged the expected tracking mode. */
async function expectMode(setup: RunSetup, mode: string): Promise<void> {
  const started = (await setup.events()).find((event) => event.event === 'started');
  expect(started).toMatchObject({ tracking: mode });
}

describe.each(MODES)('escaping agents, %s tracking', (mode, available) => {
  it.skipIf(!available)('a timeout kills the whole tree', async () => {
    const { setup, pidsDir } = await makeEscapeRun(mode, ['timeout: 3s'], { VERDICT: 'ESCALATE: look at it' });
    const engine = setup.start();
    const pids = await escapedPids(setup, pidsDir);
    await waitFor('step 2 to fail on its timeout', async () =>
      (await setup.events()).some((event) => event.event === 'failed' && event.step === 2),
    );
    await treeGone(pids);
    await expectMode(setup, mode);
    expect(await setup.workflow(['abort', setup.planspace])).toMatchObject({ code: 0 });
    expect((await engine.ended).code).toBe(4);
    await expectNoHold(setup);
  });

  it.skipIf(!available)('a retry after the last step started is tracked as the first attempt was', async () => {
    // Step 2 is the run's last: once its agent starts, the engine leaves the run's cgroup
    // (ProcessTrees.quiet); the retry must take it back in before it starts the next agent.
    // Each attempt's agent and escapees must record their pids before its timeout kills them: 2 s
    // was too short on a machine at a load of 16 (neither attempt recorded them all).
    const { setup, pidsDir } = await makeEscapeRun(mode, ['timeout: 6s', 'retries: 1', 'backoff: 10ms'], {
      VERDICT: 'ESCALATE: look at it',
    });
    const engine = setup.start();
    const first = await escapedPids(setup, pidsDir);
    await treeGone(first);
    const second = await waitFor('the retry to record new pids', async () => {
      const pids = await escapedPids(setup, pidsDir);
      return pids.every((pid) => !first.includes(pid)) ? pids : undefined;
    });
    await waitFor('step 2 to fail on its second timeout', async () =>
      (await setup.events()).some((event) => event.event === 'failed' && event.step === 2),
    );
    await treeGone(second);
    expect(await setup.workflow(['abort', setup.planspace])).toMatchObject({ code: 0 });
    expect((await engine.ended).code).toBe(4);
    await expectNoHold(setup);
  });

  it.skipIf(!available)('workflow abort kills the whole tree and releases the hold', async () => {
    const { setup, pidsDir } = await makeEscapeRun(mode);
    const engine = setup.start();
    const pids = await escapedPids(setup, pidsDir);
    expect(await setup.workflow(['abort', setup.planspace])).toMatchObject({ code: 0 });
    expect((await engine.ended).code).toBe(4);
    await treeGone(pids);
    await expectNoHold(setup);
    await expectMode(setup, mode);
  });

  it.skipIf(!available)('Ctrl-C (SIGINT) kills the whole tree and releases the hold', async () => {
    const { setup, pidsDir } = await makeEscapeRun(mode);
    const engine = setup.start();
    const pids = await escapedPids(setup, pidsDir);
    process.kill(engine.pid, 'SIGINT');
    expect((await engine.ended).code).toBe(4);
    await treeGone(pids);
    await expectNoHold(setup);
  });

  it.skipIf(!available)('a double Ctrl-C kills the whole tree and releases the hold at once', async () => {
    // The agent ignores SIGTERM: the first Ctrl-C's stop waits out its grace, when the second comes.
    const { setup, pidsDir } = await makeEscapeRun(mode, [], { AGENT_IGNORE_TERM: '1' });
    const engine: EngineProcess = setup.start();
    const pids = await escapedPids(setup, pidsDir);
    process.kill(engine.pid, 'SIGINT');
    await sleep(300);
    process.kill(engine.pid, 'SIGINT');
    expect(await engine.ended).toMatchObject({ signal: 'SIGINT' });
    await treeGone(pids);
    await expectNoHold(setup);
    // The step stays [run]: the next run resumes it as it resumes a dead engine's step.
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'run']);
  });
});

describe('a descendant that clears its environment and leaves its session (env -i setsid)', () => {
  const cgroups = MODES[0][1];

  it.skipIf(!cgroups)("dies at its agent's timeout, while the run goes on (cgroup tracking)", async () => {
    const schedule = [
      '# Schedule: an envless daemon',
      '',
      '[wait] 1. daemon | escape -- starts env -i setsid sleep 1000, then hangs',
      '  - needs: none',
      '  - timeout: 6s',
      '[wait] 2. gated | gated -- runs on meanwhile',
      '  - needs: none',
      '',
    ].join('\n');
    const setup = await makeRun({ schedule, env: { VERDICT: 'ESCALATE: look at it', AGENT_ENVLESS: '1' } });
    const pidsDir = setup.records;
    await setup.setModel('escape', { command: AGENT_ESCAPE, args: [pidsDir] });
    await setup.setModel('gated', {
      command: join(AGENTS_BIN, 'agent-gate.js'),
      env: { GATE_FILE: join(setup.root, 'gate') },
    });
    const engine = setup.start(['--concurrency', '2']);
    const envless = await waitFor('the envless sleep to record its pid', async () => {
      const text = await readFile(join(pidsDir, 'envless.pid'), 'utf8').catch(() => '');
      return text === '' ? undefined : Number(text);
    });
    setup.track(envless);
    // The agent's pid, written when it has started its escapees; the envless one is the point.
    const agent = await waitFor('agent-escape.js to record its pid', async () => {
      const text = await readFile(join(pidsDir, 'agent.pid'), 'utf8').catch(() => '');
      return text === '' ? undefined : Number(text);
    });
    setup.track(agent);
    const pids = [agent, envless];
    await waitFor('step 1 to fail on its timeout', async () =>
      (await setup.events()).some((event) => event.event === 'failed' && event.step === 1),
    );
    await treeGone(pids);
    // Gone before the run ended: step 2 still runs.
    expect(isProcessAlive(engine.pid)).toBe(true);
    expect((await setup.statuses()).get(2)).toBe('run');
    await expectMode(setup, 'cgroup');
    expect(await setup.workflow(['abort', setup.planspace])).toMatchObject({ code: 0 });
    expect((await engine.ended).code).toBe(4);
    await expectNoHold(setup);
  });
});
