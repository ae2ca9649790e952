/**
 * Agents whose descendants escape their process group (`setsid`, a double fork): a timeout, a
 * stop and a run's emergency kill reach all of them, through a cgroup v2 where this process may
 * create one, and through the environment marker where not. Real processes throughout.
 */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cgroupPids, ownCgroupFolder } from '../../src/dispatch/cgroup.js';
import { startAgent, type StartOptions } from '../../src/dispatch/spawn.js';
import { openProcessTrees, type TrackingMode } from '../../src/dispatch/trees.js';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import { waitFor } from '../engine/setup.js';
import { makeTree, ROOT } from '../helpers.js';

const AGENT_ESCAPE = join(ROOT, 'test', 'fixtures', 'bin', 'agent-escape.js');
const ROLES = ['agent', 'setsid', 'orphan'] as const;
const CGROUPS = ownCgroupFolder() !== undefined;

/** Reads `<dir>/<role>.pid` for each role once all exist; the processes are killed when the test ends. */
async function escapedPids(dir: string): Promise<Record<(typeof ROLES)[number], number>> {
  const pids = await waitFor('agent-escape.js and its escapees to record their pids', async () => {
    const read = await Promise.all(ROLES.map((role) => readFile(join(dir, `${role}.pid`), 'utf8').catch(() => '')));
    return read.every((text) => text !== '') ? read.map(Number) : undefined;
  });
  onTestFinished(() => {
    for (const pid of pids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  const [agent = 0, setsid = 0, orphan = 0] = pids;
  return { agent, setsid, orphan };
}

/** Starts agent-escape.js with a tree of `trees`; its pid files go to a new folder. */
async function startEscaping(
  mode: TrackingMode,
  options: Partial<StartOptions> = {},
  env: Readonly<Record<string, string>> = {},
) {
  const dir = await makeTree({});
  const trees = await openProcessTrees({ runId: `rtest${String(Date.now())}`, cgroups: mode === 'cgroup' });
  expect(trees.mode).toBe(mode);
  onTestFinished(() => trees.close());
  const running = startAgent(
    { file: AGENT_ESCAPE, args: [dir], inputFile: undefined, env: { PATH: process.env.PATH ?? '', ...env } },
    { cwd: dir, outputFile: join(dir, 'out.md'), killGraceMs: 300, tree: await trees.open('r-1-1'), ...options },
  );
  return { dir, trees, running, pids: await escapedPids(dir) };
}

/** True once none of the pids is alive (zombies count as gone). */
function allGone(pids: Record<string, number>): boolean {
  return Object.values(pids).every((pid) => !isProcessAlive(pid));
}

describe('escaped descendants without a tree', () => {
  it('survive the agent: the process group alone does not reach them', async () => {
    const dir = await makeTree({});
    const running = startAgent(
      { file: AGENT_ESCAPE, args: [dir], inputFile: undefined, env: { PATH: process.env.PATH ?? '' } },
      { cwd: dir, outputFile: join(dir, 'out.md'), killGraceMs: 300 },
    );
    const pids = await escapedPids(dir);
    await running.stop();
    expect(isProcessAlive(pids.agent)).toBe(false);
    expect(isProcessAlive(pids.setsid)).toBe(true);
    expect(isProcessAlive(pids.orphan)).toBe(true);
  });
});

describe.each([
  ['cgroup', CGROUPS],
  ['environment', true],
] as const)('escaped descendants with %s tracking', (mode, available) => {
  it.skipIf(!available)('are all killed on timeout', async () => {
    const { running, pids } = await startEscaping(mode, { timeoutMs: 3000 });
    const exit = await running.exit;
    expect(exit).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
    await waitFor('every process of the tree to be gone', () => allGone(pids), 5000);
  });

  it.skipIf(!available)('are all killed by stop(), also the ones that ignore SIGTERM', async () => {
    const { running, pids } = await startEscaping(mode);
    expect(allGone(pids)).toBe(false);
    expect(await running.stop()).toMatchObject({ stopped: true });
    await waitFor('every process of the tree to be gone', () => allGone(pids), 5000);
  });

  it.skipIf(!available)('are all killed by killAllNow(), the synchronous kill of a second Ctrl-C', async () => {
    const { trees, running, pids } = await startEscaping(mode);
    trees.killAllNow();
    // SIGKILL is final; the processes are gone (or zombies) as soon as the kernel has run them down.
    await waitFor('every process of the tree to be gone', () => allGone(pids), 2000);
    await running.exit;
  });
});

/**
 * The run cgroup `startEscaping` made under `parent` (exactly one of this process's), and its
 * member pids: its own and those of the agents' cgroups below it.
 */
function runCgroupOf(parent: string): { folder: string; members: () => Promise<number[]> } {
  const ours = readdirSync(parent).filter((name) => name.startsWith(`planspace-${String(process.pid)}-`));
  expect(ours).toHaveLength(1);
  const folder = join(parent, ours[0] ?? '');
  const members = (): Promise<number[]> => Promise.resolve(cgroupPids(folder).sort());
  return { folder, members };
}

describe.skipIf(!CGROUPS)('the run cgroup', () => {
  it('holds the engine and every process of its agents, and goes when the run ends', async () => {
    const ownBefore = ownCgroupFolder() ?? '';
    const { trees, running, pids } = await startEscaping('cgroup');
    const run = runCgroupOf(ownBefore);
    expect(await run.members()).toEqual([process.pid, pids.agent, pids.setsid, pids.orphan].sort());
    await running.stop();
    await trees.close();
    expect(existsSync(run.folder)).toBe(false);
    expect(ownCgroupFolder()).toBe(ownBefore);
  });

  it('quiet() takes the engine out and leaves the agents in; the next open() takes it back first', async () => {
    const ownBefore = ownCgroupFolder() ?? '';
    const { trees, running, pids } = await startEscaping('cgroup');
    const run = runCgroupOf(ownBefore);

    trees.quiet();
    await waitFor('the engine to leave the run cgroup', () =>
      Promise.resolve(ownCgroupFolder() === ownBefore || undefined),
    );
    expect(await run.members()).toEqual([pids.agent, pids.setsid, pids.orphan].sort());

    // An agent started after quiet() is born inside, and is killed with the rest.
    const later = await makeTree({});
    const second = startAgent(
      { file: AGENT_ESCAPE, args: [later], inputFile: undefined, env: { PATH: process.env.PATH ?? '' } },
      { cwd: later, outputFile: join(later, 'out.md'), killGraceMs: 300, tree: await trees.open('r-1-2') },
    );
    expect(ownCgroupFolder()).toBe(run.folder);
    const laterPids = await escapedPids(later);
    expect(await run.members()).toEqual(
      [process.pid, pids.agent, pids.setsid, pids.orphan, laterPids.agent, laterPids.setsid, laterPids.orphan].sort(),
    );
    await running.stop();
    await second.stop();
    await trees.close();
    expect(allGone(pids) && allGone(laterPids)).toBe(true);
    expect(existsSync(run.folder)).toBe(false);
    expect(ownCgroupFolder()).toBe(ownBefore);
  });

  it("puts each agent in a cgroup of its own, whose stop kills a descendant without the agent's environment", async () => {
    const ownBefore = ownCgroupFolder() ?? '';
    const { trees, running, pids, dir } = await startEscaping('cgroup', {}, { AGENT_ENVLESS: '1' });
    const run = runCgroupOf(ownBefore);
    const envless = await waitFor('the envless sleep to record its pid', async () => {
      const text = await readFile(join(dir, 'envless.pid'), 'utf8').catch(() => '');
      return text === '' ? undefined : Number(text);
    });
    onTestFinished(() => {
      if (isProcessAlive(envless)) process.kill(envless, 'SIGKILL');
    });
    const unit = join(run.folder, 'unit-r-1-1');
    expect(cgroupPids(unit).sort()).toEqual([pids.agent, pids.setsid, pids.orphan, envless].sort());
    await running.stop();
    await waitFor(
      'every process of the agent, the envless one too, to be gone',
      () => allGone({ ...pids, envless }),
      5000,
    );
    // The run's cgroup stays for the agents to come; the agent's own is gone.
    expect(existsSync(run.folder)).toBe(true);
    expect(existsSync(unit)).toBe(false);
    await trees.close();
  });

  it("starts an agent whose own cgroup is gone in the run's, quietly, and still kills its tree", async () => {
    const ownBefore = ownCgroupFolder() ?? '';
    const trees = await openProcessTrees({ runId: `rtest${String(Date.now())}`, cgroups: true });
    onTestFinished(() => trees.close());
    const run = runCgroupOf(ownBefore);
    const tree = await trees.open('r-1-3');
    rmdirSync(join(run.folder, 'unit-r-1-3'));
    const dir = await makeTree({});
    const running = startAgent(
      { file: AGENT_ESCAPE, args: [dir], inputFile: undefined, env: { PATH: process.env.PATH ?? '' } },
      { cwd: dir, outputFile: join(dir, 'out.md'), killGraceMs: 300, tree },
    );
    const pids = await escapedPids(dir);
    expect(await run.members()).toEqual(expect.arrayContaining(Object.values(pids)));
    await running.stop();
    await waitFor('every process of the tree to be gone', () => allGone(pids), 5000);
    // Only the agent's own output: no word of the refused move.
    expect(await readFile(join(dir, 'out.md'), 'utf8')).toBe('started\n');
  });

  it('close() after quiet() kills what is left and removes the run cgroup', async () => {
    const ownBefore = ownCgroupFolder() ?? '';
    const { trees, running, pids } = await startEscaping('cgroup');
    const run = runCgroupOf(ownBefore);
    trees.quiet();
    // The escaped processes still run: close() kills them, as at the end of a run.
    await trees.close();
    await running.exit;
    expect(allGone(pids)).toBe(true);
    expect(existsSync(run.folder)).toBe(false);
    expect(ownCgroupFolder()).toBe(ownBefore);
  });
});
