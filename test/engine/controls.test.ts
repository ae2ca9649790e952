/**
 * The engine's controls through real processes and the real `workflow` executable: parallel
 * blocks and `--concurrency`, `needs: none` roots and joins, `when: failure`, `retries` with
 * `backoff`, `timeout` and `stall`, `workflow report`, `run --dry-run`/`--only`/`--from`, and
 * bad values refused with exit 2.
 *
 * Timing: the only wall-clock upper bounds are the ones the controls promise (six 2 s blocks
 * in under 8 s, a 2 s timeout's process tree gone within 3.5 s, a 1 s stall stopped long
 * before its agent's 30 s), with generous margins. Every other check is a count, an order of
 * events, or an interval from the agents' own records that holds whatever the load.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import type { LoggedEvent } from '../../src/planspace/log.js';
import { hashFile } from '../helpers.js';
import {
  AGENT_HANDLER,
  AGENT_TREE,
  AGENTS_BIN,
  makeRun,
  readJsonIfThere,
  waitFor,
  type ModelEntry,
  type RunSetup,
} from './setup.js';

const AGENT_TIMED = join(AGENTS_BIN, 'agent-timed.js');
const AGENT_FLAKY = join(AGENTS_BIN, 'agent-flaky.js');

/** What agent-timed.js records: its pid, its start and (if it finished its sleep) end, in ms since the epoch. */
interface TimedRecord {
  readonly pid: number;
  readonly start: number;
  readonly end?: number;
  readonly env: Readonly<Record<string, string>>;
}

/** A schedule file: a heading, then `lines`. */
function schedule(...lines: string[]): string {
  return ['# Schedule: controls', '', ...lines, ''].join('\n');
}

/** An agent-timed.js model recording into the setup's records folder. */
function timed(setup: RunSetup, env: Readonly<Record<string, string>> = {}): ModelEntry {
  return { command: AGENT_TIMED, env: { RECORD_DIR: setup.records, ...env } };
}

/** A run of `text` with extra models (they need the setup's folders, hence a function). */
async function makeControlRun(
  text: string,
  models: (setup: RunSetup) => Readonly<Record<string, ModelEntry>> = () => ({}),
): Promise<RunSetup> {
  const setup = await makeRun({ schedule: text });
  for (const [name, entry] of Object.entries(models(setup))) await setup.setModel(name, entry);
  return setup;
}

/** An exception handler that always escalates: the failed step waits for a human. */
function escalatingHandler(): ModelEntry {
  return { command: AGENT_HANDLER, env: { VERDICT: 'ESCALATE: a human decides' } };
}

async function timedRecord(setup: RunSetup, stem: string): Promise<TimedRecord> {
  return JSON.parse(await readFile(join(setup.records, `${stem}.json`), 'utf8')) as TimedRecord;
}

function artifact(setup: RunSetup, name: string): Promise<string> {
  return readFile(join(setup.planspace, 'artifacts', name), 'utf8');
}

/** Waits for the first event that `match` accepts. */
function waitForEvent(setup: RunSetup, what: string, match: (event: LoggedEvent) => boolean): Promise<LoggedEvent> {
  return waitFor(what, async () => (await setup.eventsSoFar()).find(match));
}

/** Waits for the escalation of step `step` in `workflow questions`; returns its id. */
function escalationOf(setup: RunSetup, step: number): Promise<string> {
  return waitFor(`the escalation of step ${step} in workflow questions`, async () => {
    const { stdout } = await setup.workflow(['questions', setup.planspace]);
    return new RegExp(`^(q\\d+) \\| step=${step} \\| from=human \\| `, 'm').exec(stdout)?.[1];
  });
}

function ms(iso: string): number {
  return Date.parse(iso);
}

/** The most intervals that hold at one moment (an interval ending when another starts does not overlap it). */
function maxOverlap(intervals: readonly { start: number; end: number }[]): number {
  const edges = intervals.flatMap(({ start, end }) => [
    { at: start, delta: 1 },
    { at: end, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const { delta } of edges) {
    now += delta;
    most = Math.max(most, now);
  }
  return most;
}

function finished(record: TimedRecord): { start: number; end: number } {
  if (record.end === undefined) throw new Error(`agent ${record.pid} did not finish its sleep`);
  return { start: record.start, end: record.end };
}

const BLOCKS = ['a', 'b', 'c', 'd', 'e', 'f'] as const;

describe('workflow run: blocks and --concurrency', () => {
  it('runs six 2 s blocks at once with --concurrency 6, each with its own prompt, output and WORKFLOW_BLOCK', async () => {
    const setup = await makeControlRun(
      schedule('[wait] 1. fan-out | sleeper -- six slices at once', '  - blocks: a, b, c, d, e, f'),
      (s) => ({ sleeper: timed(s, { SLEEP_MS: '2000' }) }),
    );
    const began = Date.now();
    const result = await setup.run(['--concurrency', '6']);
    const wallMs = Date.now() - began;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    // One after another would take 12 s; six at once take one block's 2 s plus start-up.
    expect(wallMs).toBeLessThan(8000);
    expect([...(await setup.statuses()).entries()]).toEqual([[1, 'done']]);

    const events = await setup.events();
    const dispatched = events.filter((e) => e.event === 'dispatched');
    expect(dispatched.map((e) => e.block).sort()).toEqual([...BLOCKS]);
    expect(events.filter((e) => e.step === 1 && e.event === 'done')).toHaveLength(1);
    expect(events.filter((e) => e.event === 'failed' || e.event === 'attempt-failed')).toEqual([]);
    // Each block's end is logged as it happens, before the step's own done line.
    const blockDone = events.filter((e) => e.event === 'block-done');
    expect(blockDone.map((e) => e.block).sort()).toEqual([...BLOCKS]);
    const stepDone = events.findIndex((e) => e.step === 1 && e.event === 'done');
    expect(blockDone.every((e) => events.indexOf(e) < stepDone)).toBe(true);
    expect(result.stdout).toMatch(/step 1 \(fan-out\) block a: done/);

    const records = new Map<string, TimedRecord>();
    for (const block of BLOCKS) {
      const record = await timedRecord(setup, `step-1-block-${block}`);
      records.set(block, record);
      expect(record.env.WORKFLOW_BLOCK).toBe(block);
      expect(record.env.WORKFLOW_STEP).toBe('1');
      expect(record.env.WORKFLOW_AGENT).toBe(`step-1-${block}`);
      expect(record.env.WORKFLOW_RUN_ID).toBe(dispatched.find((e) => e.block === block)?.runId);
      const prompt = await artifact(setup, `step-1-block-${block}-prompt.md`);
      expect(prompt).toContain('[run] 1. fan-out | sleeper -- six slices at once');
      expect(prompt).toContain(`You run block \`${block}\``);
      expect(await artifact(setup, `step-1-block-${block}-output.md`)).toBe(`step-1-block-${block} slept 2000 ms\n`);
    }
    // Six different processes, all running at one moment: every block started before any ended.
    const all = [...records.values()];
    expect(new Set(all.map((r) => r.pid)).size).toBe(6);
    const spans = all.map(finished);
    expect(Math.max(...spans.map((s) => s.start))).toBeLessThan(Math.min(...spans.map((s) => s.end)));
    // A block step has no single prompt or output file.
    const artifacts = await readdir(join(setup.planspace, 'artifacts'));
    expect(artifacts).not.toContain('step-1-prompt.md');
    expect(artifacts).not.toContain('step-1-output.md');
  });

  it('never runs more agents at once than --concurrency 2 allows', async () => {
    const setup = await makeControlRun(
      schedule('[wait] 1. fan-out | sleeper -- four slices, two at a time', '  - blocks: a, b, c, d'),
      (s) => ({ sleeper: timed(s, { SLEEP_MS: '400' }) }),
    );
    const result = await setup.run(['--concurrency', '2']);
    expect(result.code).toBe(0);
    expect([...(await setup.statuses()).values()]).toEqual(['done']);
    // Each record lies inside its agent's slot, so no load can make these overlap more.
    const spans = await Promise.all(
      ['a', 'b', 'c', 'd'].map(async (b) => finished(await timedRecord(setup, `step-1-block-${b}`))),
    );
    expect(maxOverlap(spans)).toBeLessThanOrEqual(2);
  });
});

describe('workflow run: needs', () => {
  it('runs two needs: none roots at the same time, and their join only after both ended', async () => {
    const setup = await makeControlRun(
      schedule(
        '[wait] 1. scan-api | sleeper -- scan the API',
        '  - needs: none',
        '[wait] 2. scan-ui | sleeper -- scan the UI',
        '  - needs: none',
        '[wait] 3. merge | quick -- merge both scans',
        '  - needs: 1, 2',
      ),
      (s) => ({ sleeper: timed(s, { SLEEP_MS: '2000' }), quick: timed(s, { SLEEP_MS: '0' }) }),
    );
    const result = await setup.run();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done', 'done']);

    const api = finished(await timedRecord(setup, 'step-1'));
    const ui = finished(await timedRecord(setup, 'step-2'));
    const merge = finished(await timedRecord(setup, 'step-3'));
    // The roots' intervals overlap.
    expect(api.start).toBeLessThan(ui.end);
    expect(ui.start).toBeLessThan(api.end);
    // The join started after both roots ended, and was dispatched after both were settled.
    expect(merge.start).toBeGreaterThanOrEqual(Math.max(api.end, ui.end));
    const order = (await setup.events()).map((e) => `${e.event}:${String(e.step)}`);
    expect(order.indexOf('dispatched:3')).toBeGreaterThan(order.indexOf('done:1'));
    expect(order.indexOf('dispatched:3')).toBeGreaterThan(order.indexOf('done:2'));
    // Both roots were dispatched before either was done.
    expect(Math.max(order.indexOf('dispatched:1'), order.indexOf('dispatched:2'))).toBeLessThan(
      Math.min(order.indexOf('done:1'), order.indexOf('done:2')),
    );
  });
});

const WHEN_FAILURE = schedule(
  '[wait] 1. build | builder -- build the thing',
  '[wait] 2. rescue | quick -- clean up after a failed build',
  '  - when: failure',
  '[wait] 3. finish | quick -- wrap up',
  '  - needs: 1',
);

describe('workflow run: when: failure', () => {
  it('skips the step after a success, logging why, and marks it [skip]', async () => {
    const setup = await makeControlRun(WHEN_FAILURE, (s) => ({
      builder: timed(s, { SLEEP_MS: '0' }),
      quick: timed(s, { SLEEP_MS: '0' }),
    }));
    const result = await setup.run();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'skip', 'done']);
    const text = await readFile(join(setup.planspace, 'schedule.md'), 'utf8');
    expect(text).toContain('[skip] 2. rescue | quick -- clean up after a failed build\n');

    const events = await setup.events();
    const skipped = events.filter((e) => e.event === 'skipped');
    expect(skipped).toEqual([
      expect.objectContaining({ step: 2, reason: 'when: failure, and none of its needs (1) failed' }),
    ]);
    expect(events.filter((e) => e.step === 2).map((e) => e.event)).toEqual(['skipped']);
    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toContain('step 2 (rescue): skipped, when: failure, and none of its needs (1) failed');
    // The rescue agent never started.
    expect(await setup.recordFiles()).toEqual(['step-1.json', 'step-3.json']);
    expect(await readdir(join(setup.planspace, 'artifacts'))).not.toContain('step-2-prompt.md');
  });

  it('runs the step while its failed need waits for a human, and holds back the when: success step', async () => {
    const setup = await makeControlRun(WHEN_FAILURE, (s) => ({
      builder: timed(s, { SLEEP_MS: '0', AGENT_EXIT: '1' }),
      quick: timed(s, { SLEEP_MS: '0' }),
      handler: escalatingHandler(),
    }));
    const engine = setup.start();
    const id = await escalationOf(setup, 1);

    // While the question waits, `workflow report` shows it against the failed step.
    const report = await setup.workflow(['report', setup.planspace, '--json']);
    expect(report.code).toBe(0);
    const parsed = JSON.parse(report.stdout) as {
      steps: { number: number; status: string; pendingQuestions: string[]; exitCode?: number | null }[];
      totals: { pendingQuestions: number };
    };
    expect(parsed.steps[0]).toMatchObject({ number: 1, status: 'fail', exitCode: 1, pendingQuestions: [id] });
    expect(parsed.totals.pendingQuestions).toBe(1);

    // Step 1 is [fail]: the rescue step is ready and the engine runs it without waiting for the human.
    await waitForEvent(setup, 'the rescue step (when: failure) to be done while step 1 is [fail]', (e) => {
      return e.step === 2 && e.event === 'done';
    });
    expect(await setup.statuses()).toEqual(
      new Map([
        [1, 'fail'],
        [2, 'done'],
        [3, 'wait'],
      ]),
    );
    expect((await timedRecord(setup, 'step-2')).env.WORKFLOW_STEP).toBe('2');
    // The question is still open: the rescue did not wait for it.
    expect((await setup.workflow(['questions', setup.planspace])).stdout).toMatch(new RegExp(`^${id} \\| step=1 `));

    expect(await setup.workflow(['answer', setup.planspace, '--id', id, 'skip'])).toMatchObject({ code: 0 });
    const result = await engine.ended;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['skip', 'done', 'done']);
    const order = (await setup.events()).map((e) => `${e.event}:${String(e.step)}`);
    expect(order.indexOf('dispatched:2')).toBeGreaterThan(order.indexOf('failed:1'));
    expect(order.indexOf('dispatched:2')).toBeLessThan(order.indexOf('skipped:1'));
    expect(order.indexOf('dispatched:3')).toBeGreaterThan(order.indexOf('skipped:1'));
  });
});

describe('workflow run: retries and backoff', () => {
  it('retries a flaky agent until it works, never calling the exception handler; workflow report counts 3 attempts', async () => {
    const setup = await makeControlRun(
      schedule(
        '[wait] 1. prepare | quick -- get ready',
        '[wait] 2. flaky | flaky -- fails twice, then works',
        '  - retries: 2',
        '  - backoff: 100ms',
        '[wait] 3. finish | quick -- wrap up',
      ),
      (s) => ({
        quick: timed(s, { SLEEP_MS: '0' }),
        flaky: { command: AGENT_FLAKY, env: { COUNTER_FILE: join(s.root, 'flaky-attempts'), FAIL_TIMES: '2' } },
      }),
    );
    const result = await setup.run();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done', 'done']);
    expect(await readFile(join(setup.root, 'flaky-attempts'), 'utf8')).toBe('3');
    expect(await artifact(setup, 'step-2-output.md')).toBe('attempt 3: worked\n');

    const events = await setup.events();
    const step2 = events.filter((e) => e.step === 2);
    expect(step2.map((e) => [e.event, e.attempt])).toEqual([
      ['dispatched', 1],
      ['attempt-failed', 1],
      ['dispatched', 2],
      ['attempt-failed', 2],
      ['dispatched', 3],
      ['done', undefined],
    ]);
    for (const failed of step2.filter((e) => e.event === 'attempt-failed')) {
      expect(failed).toMatchObject({ of: 3, reason: 'exit code 1' });
    }
    // No exception handler, and no step failure: the retries absorbed both.
    expect(events.filter((e) => e.event === 'exception-handler' || e.event === 'failed')).toEqual([]);
    const artifacts = await readdir(join(setup.planspace, 'artifacts'));
    expect(artifacts.filter((name) => name.startsWith('exception-'))).toEqual([]);
    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toContain('step 2 (flaky): attempt 1 of 3 failed, exit code 1; retrying in 100ms-200ms');
    expect(log).toContain('step 2 (flaky): attempt 2 of 3 failed, exit code 1; retrying in 200ms-400ms');
    // The backoff was waited: at least 100 ms, then at least 200 ms (doubled), before the next dispatch.
    const at = (event: string, attempt: number): number =>
      ms(step2.find((e) => e.event === event && e.attempt === attempt)?.time ?? '');
    expect(at('dispatched', 2) - at('attempt-failed', 1)).toBeGreaterThanOrEqual(95);
    expect(at('dispatched', 3) - at('attempt-failed', 2)).toBeGreaterThanOrEqual(190);

    // workflow report, on this run.
    const text = await setup.workflow(['report', setup.planspace]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(
      /^step\s+name\s+status\s+attempts\s+start\s+end\s+duration\s+exit\s+questions\s+last message$/,
    );
    const time = '\\d\\d:\\d\\d:\\d\\d';
    const row = (n: number, name: string, attempts: number): RegExp =>
      new RegExp(`^${n}\\s+${name}\\s+done\\s+${attempts}\\s+${time}\\s+${time}\\s+\\S+\\s+0\\s+-`);
    expect(lines[1]).toMatch(row(1, 'prepare', 1));
    expect(lines[2]).toMatch(row(2, 'flaky', 3));
    expect(lines[3]).toMatch(row(3, 'finish', 1));
    // The retries worked, but what went wrong before stays in view.
    expect(lines[4]).toBe('step 2 last failure: exit code 1: attempt 2: starting · attempt 2: simulated flaky failure');
    expect(lines[5]).toMatch(
      /^total: 3 steps \(3 done\); 5 attempts; 0 questions pending; \S+ from first to last event$/,
    );

    const json = await setup.workflow(['report', setup.planspace, '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      steps: Record<string, unknown>[];
      totals: { attempts: number; pendingQuestions: number };
    };
    const first = step2.find((e) => e.event === 'dispatched');
    const done = step2.find((e) => e.event === 'done');
    expect(report.steps).toHaveLength(3);
    expect(report.steps[1]).toMatchObject({
      number: 2,
      name: 'flaky',
      status: 'done',
      attempts: 3,
      start: first?.time,
      end: done?.time,
      durationMs: ms(done?.time ?? '') - ms(first?.time ?? ''),
      exitCode: 0,
      pendingQuestions: [],
    });
    expect(report.steps.map((s) => s.attempts)).toEqual([1, 3, 1]);
    expect(report.totals).toMatchObject({ attempts: 5, pendingQuestions: 0 });
  });
});

describe('workflow run: timeout', () => {
  it("kills the agent and its grandchild once timeout: 2s has passed, failing the step with reason 'timeout'", async () => {
    const setup = await makeRun({ schedule: schedule('[wait] 1. long | tree -- works forever', '  - timeout: 2s') });
    const pidsFile = join(setup.root, 'pids.json');
    await setup.setModel('tree', { command: AGENT_TREE, args: [pidsFile] });
    await setup.setModel('handler', escalatingHandler());
    const engine = setup.start();
    const pids = await waitFor('agent-tree.js to record its pids', () =>
      readJsonIfThere<{ agent: number; grandchild: number }>(pidsFile),
    );
    setup.track(pids.agent);
    setup.track(pids.grandchild);
    const deadline = Date.now() + 20_000;
    while (isProcessAlive(pids.agent) || isProcessAlive(pids.grandchild)) {
      if (Date.now() > deadline) throw new Error('the agent or its grandchild outlived the timeout by 20 s');
      await sleep(20);
    }
    const goneAt = Date.now();

    const dispatched = await waitForEvent(setup, 'the dispatch', (e) => e.event === 'dispatched');
    const failed = await waitForEvent(setup, 'the failure', (e) => e.event === 'failed');
    expect(failed).toMatchObject({ step: 1, reason: 'timeout', exitCode: null });
    // Killed once the timeout passed: not before, and within a second and a half after it.
    expect(goneAt - ms(dispatched.time)).toBeGreaterThanOrEqual(1500);
    expect(goneAt - ms(dispatched.time)).toBeLessThan(3500);
    expect(await setup.statuses()).toEqual(new Map([[1, 'fail']]));

    const id = await escalationOf(setup, 1);
    expect(await setup.workflow(['answer', setup.planspace, '--id', id, 'skip'])).toMatchObject({ code: 0 });
    expect((await engine.ended).code).toBe(0);
  });
});

describe('workflow run: stall', () => {
  it("stops an agent silent for stall: 1s, with reason 'stalled', long before its 30 s are up", async () => {
    const setup = await makeControlRun(schedule('[wait] 1. quiet | silent -- says nothing', '  - stall: 1s'), (s) => ({
      silent: timed(s, { SLEEP_MS: '30000' }),
      handler: escalatingHandler(),
    }));
    const began = Date.now();
    const engine = setup.start();
    const failed = await waitForEvent(setup, 'the failure', (e) => e.event === 'failed');
    const dispatched = (await setup.events()).find((e) => e.event === 'dispatched');
    expect(failed).toMatchObject({ step: 1, reason: 'stalled' });
    // Stopped after the stall period, not before it, and nowhere near the agent's 30 s.
    const silentMs = ms(failed.time) - ms(dispatched?.time ?? '');
    expect(silentMs).toBeGreaterThanOrEqual(1000);
    expect(silentMs).toBeLessThan(10_000);
    const record = await timedRecord(setup, 'step-1');
    setup.track(record.pid);
    expect(record.end).toBeUndefined();
    expect(isProcessAlive(record.pid)).toBe(false);

    const id = await escalationOf(setup, 1);
    expect(await setup.workflow(['answer', setup.planspace, '--id', id, 'skip'])).toMatchObject({ code: 0 });
    const result = await engine.ended;
    expect(result.code).toBe(0);
    expect(Date.now() - began).toBeLessThan(25_000);
  });

  it('leaves alone an agent that prints every 300 ms for 3 s under stall: 1s', async () => {
    const setup = await makeControlRun(
      schedule('[wait] 1. chatty | ticker -- keeps talking', '  - stall: 1s'),
      (s) => ({ ticker: timed(s, { SLEEP_MS: '3000', TICK_MS: '300' }) }),
    );
    const result = await setup.run();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done']);
    const events = await setup.events();
    expect(events.filter((e) => e.event === 'failed' || e.event === 'exception-handler')).toEqual([]);
    const record = await timedRecord(setup, 'step-1');
    // It ran its full 3 s, three stall periods.
    expect(finished(record).end - record.start).toBeGreaterThanOrEqual(3000);
    const output = await artifact(setup, 'step-1-output.md');
    expect(output).toMatch(/^tick 1\ntick 2\n/);
    expect(output).toMatch(/step-1 slept 3000 ms\n$/);
  });
});

const SELECTION = schedule(
  '[wait] 1. prepare | quick -- get ready',
  '[wait] 2. fan-out | quick -- one agent per block',
  '  - blocks: a, b',
  '[wait] 3. finish | quick -- wrap up',
);

function makeSelectionRun(): Promise<RunSetup> {
  return makeControlRun(SELECTION, (s) => ({ quick: timed(s, { SLEEP_MS: '0' }) }));
}

describe('workflow run: --dry-run, --only, --from', () => {
  it("--dry-run writes every prompt to artifacts/dry-run/, never over a run's, prints one command per agent, and starts nothing", async () => {
    const setup = await makeSelectionRun();
    const scheduleFile = join(setup.planspace, 'schedule.md');
    const before = await hashFile(scheduleFile);
    // A live run's prompt, which a dry run must leave alone.
    await mkdir(join(setup.planspace, 'artifacts'), { recursive: true });
    await writeFile(join(setup.planspace, 'artifacts', 'step-1-prompt.md'), 'the live run prompt\n');
    const result = await setup.run(['--dry-run']);
    const folder = join(setup.planspace, 'artifacts', 'dry-run');
    expect(result.stderr).toBe(`dry run: prompts written to ${folder}; nothing started\n`);
    expect(result.code).toBe(0);
    const prompt = (stem: string): string => join(folder, `${stem}-prompt.md`);
    expect(result.stdout).toBe(
      [
        `step 1 (prepare): ${AGENT_TIMED} < ${prompt('step-1')}`,
        `step 2 (fan-out) block a: ${AGENT_TIMED} < ${prompt('step-2-block-a')}`,
        `step 2 (fan-out) block b: ${AGENT_TIMED} < ${prompt('step-2-block-b')}`,
        `step 3 (finish): ${AGENT_TIMED} < ${prompt('step-3')}`,
        '',
      ].join('\n'),
    );
    // The prompts a run would write, and nothing else: no output, no log, no events, no hold.
    expect(await readdir(setup.planspace)).toEqual(['artifacts', 'schedule.md']);
    expect((await readdir(join(setup.planspace, 'artifacts'))).sort()).toEqual(['dry-run', 'step-1-prompt.md']);
    expect(await readFile(join(setup.planspace, 'artifacts', 'step-1-prompt.md'), 'utf8')).toBe(
      'the live run prompt\n',
    );
    expect((await readdir(folder)).sort()).toEqual([
      'step-1-prompt.md',
      'step-2-block-a-prompt.md',
      'step-2-block-b-prompt.md',
      'step-3-prompt.md',
    ]);
    expect(await readFile(prompt('step-2-block-b'), 'utf8')).toContain('You run block `b`');
    expect(await readFile(prompt('step-3'), 'utf8')).toContain('3. finish | quick -- wrap up');
    expect(await hashFile(scheduleFile)).toBe(before);
    expect(await setup.recordFiles()).toEqual([]);
  });

  it('--only 2 runs only step 2, leaving the other markers as they were', async () => {
    const setup = await makeSelectionRun();
    const result = await setup.run(['--only', '2']);
    expect(result.code).toBe(0);
    // Issue 10: not COMPLETE while steps 1 and 3 wait.
    expect(result.stdout).not.toContain('COMPLETE');
    expect(result.stdout).toMatch(
      /run done: step 2 done; 2 steps still wait\nSELECTION DONE: step 2 done; 2 steps still wait\n$/,
    );
    const events = await setup.events();
    expect(events.map((e) => e.event)).not.toContain('complete');
    expect(events.at(-1)).toMatchObject({ event: 'selection-done', done: [2], skipped: [], remaining: 2 });
    expect(await readFile(join(setup.planspace, 'state.md'), 'utf8')).toContain(
      'Selection done: step 2 done; 2 steps still wait.',
    );
    expect(await readFile(join(setup.planspace, 'schedule.md'), 'utf8')).toBe(
      SELECTION.replace('[wait] 2.', '[done] 2.'),
    );
    expect(await setup.recordFiles()).toEqual(['step-2-block-a.json', 'step-2-block-b.json']);
    const dispatched = (await setup.events()).filter((e) => e.event === 'dispatched');
    expect(dispatched.map((e) => e.step)).toEqual([2, 2]);
  });

  it('--from 2 runs step 2 and the steps after it', async () => {
    const setup = await makeSelectionRun();
    const result = await setup.run(['--from', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\nSELECTION DONE: steps 2, 3 done; 1 step still waits\n$/);
    expect([...(await setup.statuses()).entries()]).toEqual([
      [1, 'wait'],
      [2, 'done'],
      [3, 'done'],
    ]);
    expect(await setup.recordFiles()).toEqual(['step-2-block-a.json', 'step-2-block-b.json', 'step-3.json']);
  });

  it('a selection that leaves nothing undone ends COMPLETE, and --json names what the selection did', async () => {
    const setup = await makeSelectionRun();
    const first = await setup.run(['--only', '1', '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout.trimEnd().split('\n').at(-1) ?? '')).toEqual({
      event: 'end',
      outcome: 'selection-done',
      done: [1],
      skipped: [],
      remaining: 2,
    });
    const rest = await setup.run(['--from', '2']);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toMatch(/run complete: every step is done or skipped\nCOMPLETE\n$/);
  });
});

describe('bad values', () => {
  it('workflow check names an unknown attribute key and a bad duration with file:line:col, exit 2', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. build | glm -- build',
        '  - timout: 5m',
        '[wait] 2. test | glm -- test',
        '  - timeout: 5 minutes',
      ),
    });
    const file = join(setup.planspace, 'schedule.md');
    const before = await hashFile(file);
    const check = await setup.workflow(['check', setup.planspace]);
    expect(check.code).toBe(2);
    expect(check.stdout).toBe(
      [
        `${file}:4:5: expected an attribute 'key: value' with a key from needs, when, blocks, retries, backoff, timeout, stall, verify, isolation, candidates, judge, outputs, added-by, found 'timout'`,
        `${file}:6:14: expected a duration such as '500ms', '5s', '30m' or '2h', found '5 minutes'`,
        '',
      ].join('\n'),
    );
    // run refuses the same schedule before anything starts.
    const run = await setup.run();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:6:14: expected a duration`);
    expect(await readdir(setup.planspace)).toEqual(['schedule.md']);
    expect(await hashFile(file)).toBe(before);
  });

  it.each([['0'], ['many'], ['1.5']])(
    'workflow run --concurrency %s exits 2 with a clear message and writes nothing',
    async (value) => {
      const setup = await makeRun({ schedule: schedule('[wait] 1. build | glm -- build') });
      const file = join(setup.planspace, 'schedule.md');
      const before = await hashFile(file);
      const result = await setup.run(['--concurrency', value]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`--concurrency wants a count of at least 1, such as 8; found '${value}'\n`);
      expect(await readdir(setup.planspace)).toEqual(['schedule.md']);
      expect(await hashFile(file)).toBe(before);
      expect(await setup.recordFiles()).toEqual([]);
    },
  );

  it('workflow run --only with a step the schedule lacks exits 2 and writes nothing', async () => {
    const setup = await makeRun({ schedule: schedule('[wait] 1. build | glm -- build') });
    const result = await setup.run(['--only', '9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`no step 9 in ${join(setup.planspace, 'schedule.md')}\n`);
    expect(await readdir(setup.planspace)).toEqual(['schedule.md']);
  });
});
