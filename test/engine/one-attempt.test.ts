/**
 * Never two live attempts of one step (issue 10, point 2), through real processes: a step
 * reset to `[wait]` while its task still lives (its exception handler at work) is not
 * dispatched again until that task has ended; `workflow retry N` on a step whose agent the
 * live engine runs is refused; and the run ends only after every agent it started is gone.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import type { LoggedEvent } from '../../src/planspace/log.js';
import { AGENT_HANDLER, AGENTS_BIN, makeRun, waitFor, type RunSetup } from './setup.js';

const AGENT_FLAKY = join(AGENTS_BIN, 'agent-flaky.js');
const AGENT_GATE = join(AGENTS_BIN, 'agent-gate.js');

/** A schedule file: a heading, then `lines`. */
function schedule(...lines: string[]): string {
  return ['# Schedule: one attempt', '', ...lines, ''].join('\n');
}

/** `events.jsonl` so far; empty before the engine wrote its first event. */
async function eventsSoFar(setup: RunSetup): Promise<LoggedEvent[]> {
  try {
    return await setup.events();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The pids of every agent the run dispatched (step agents; from `dispatched` events). */
function dispatchedPids(events: readonly LoggedEvent[]): number[] {
  return events.flatMap((e) => (e.event === 'dispatched' && typeof e.pid === 'number' ? [e.pid] : []));
}

describe('workflow run: one live attempt per step', () => {
  it('does not dispatch a step again while its exception handler, which reset it to [wait], still runs', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. flaky | flaky -- fails once, then works',
        '  - needs: none',
        '[wait] 2. gated | gated -- ends when the handler of step 1 has reset it',
        '  - needs: none',
      ),
    });
    const gate = join(setup.root, 'gate');
    await setup.setModel('flaky', {
      command: AGENT_FLAKY,
      env: { COUNTER_FILE: join(setup.root, 'flaky-attempts'), FAIL_TIMES: '1' },
    });
    await setup.setModel('gated', { command: AGENT_GATE, env: { GATE_FILE: gate } });
    // The handler resets step 1 itself, opens the gate (step 2 ends, and the engine looks for
    // ready steps), then keeps working for 3 s: the engine must not start step 1 meanwhile.
    await setup.setModel('handler', {
      command: AGENT_HANDLER,
      env: { HANDLER_RETRY: '1', GATE_FILE: gate, HANDLER_SLEEP_MS: '3000' },
    });
    const result = await setup.run(['--concurrency', '4']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done']);

    const events = await setup.events();
    const step1 = events.filter((e) => e.step === 1).map((e) => e.event);
    // Once failed and handled, once more after the handler ended: never while it ran, never resumed.
    expect(step1).toEqual(['dispatched', 'failed', 'exception-handler', 'fixed', 'dispatched', 'done']);
    expect(events.filter((e) => e.event === 'resumed')).toEqual([]);
    for (const pid of dispatchedPids(events)) expect(isProcessAlive(pid)).toBe(false);
  });

  it('refuses workflow retry N on a step whose agent the live engine runs, exit 1, and the run goes on', async () => {
    const setup = await makeRun({ schedule: schedule('[wait] 1. gated | gated -- ends when the test says so') });
    const gate = join(setup.root, 'gate');
    await setup.setModel('gated', { command: AGENT_GATE, env: { GATE_FILE: gate } });
    const engine = setup.start();
    const dispatched = await waitFor('the dispatch of step 1', async () =>
      (await eventsSoFar(setup)).find((e) => e.event === 'dispatched' && e.step === 1),
    );
    // Killed when the test ends, should it fail before the gate opens.
    if (typeof dispatched.pid === 'number') setup.track(dispatched.pid);

    const retry = await setup.workflow(['retry', setup.planspace, '1']);
    expect(retry.code).toBe(1);
    expect(retry.stdout).toMatch(
      /^ERROR: step 1 is \[run\]: the engine \(pid \d+, run r\w+\) is running it; wait for it to end, or stop the run with workflow abort\n$/,
    );
    expect([...(await setup.statuses()).values()]).toEqual(['run']);

    await writeFile(gate, 'open\n');
    const result = await engine.ended;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    const events = await setup.events();
    expect(events.filter((e) => e.event === 'dispatched')).toHaveLength(1);
    for (const pid of dispatchedPids(events)) expect(isProcessAlive(pid)).toBe(false);
  });

  it('refuses workflow retry N on a [fail] step whose escalation waits for a human, naming the answer to give', async () => {
    const setup = await makeRun({ schedule: schedule('[wait] 1. flaky | flaky -- fails once, then works') });
    await setup.setModel('flaky', {
      command: AGENT_FLAKY,
      env: { COUNTER_FILE: join(setup.root, 'flaky-attempts'), FAIL_TIMES: '1' },
    });
    await setup.setModel('handler', { command: AGENT_HANDLER, env: { VERDICT: 'ESCALATE: a human decides' } });
    const engine = setup.start();
    const id = await waitFor('the escalation of step 1', async () => {
      const { stdout } = await setup.workflow(['questions', setup.planspace]);
      return /^(q\d+) \| step=1 \| from=human \| /m.exec(stdout)?.[1];
    });

    const retry = await setup.workflow(['retry', setup.planspace, '1']);
    expect(retry.code).toBe(1);
    expect(retry.stdout).toBe(
      `ERROR: step 1 waits for a human decision (question ${id}); answer it: workflow answer ${setup.planspace} --id ${id} retry\n`,
    );
    expect([...(await setup.statuses()).values()]).toEqual(['fail']);

    expect((await setup.workflow(['answer', setup.planspace, '--id', id, 'retry'])).code).toBe(0);
    const result = await engine.ended;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    const events = await setup.events();
    expect(events.filter((e) => e.step === 1).map((e) => e.event)).toEqual([
      'dispatched',
      'failed',
      'exception-handler',
      'question',
      'retry',
      'dispatched',
      'done',
    ]);
  });

  it('refuses workflow next, and done/fail/skip N of a step the live engine runs, exit 1; the engine settles the step', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. gated | gated -- ends when the test says so',
        '[wait] 2. after | gated -- then this',
      ),
    });
    const gate = join(setup.root, 'gate');
    await setup.setModel('gated', { command: AGENT_GATE, env: { GATE_FILE: gate } });
    const engine = setup.start();
    const dispatched = await waitFor('the dispatch of step 1', async () =>
      (await eventsSoFar(setup)).find((e) => e.event === 'dispatched' && e.step === 1),
    );
    if (typeof dispatched.pid === 'number') setup.track(dispatched.pid);

    for (const args of [['next'], ['next', '--all']]) {
      const next = await setup.workflow([args[0] ?? '', setup.planspace, ...args.slice(1)]);
      expect(next.code, args.join(' ')).toBe(1);
      expect(next.stdout, args.join(' ')).toMatch(
        new RegExp(
          `^ERROR: engine pid \\d+ \\(run r\\w+\\) is running this planspace; it takes the steps itself: watch it with workflow status ${setup.planspace}, or stop it with workflow abort ${setup.planspace}\n$`,
        ),
      );
    }
    for (const verb of ['done', 'fail', 'skip']) {
      for (const args of [
        [verb, setup.planspace, '1'],
        [verb, setup.planspace],
      ]) {
        const mark = await setup.workflow(args);
        expect(mark.code, args.join(' ')).toBe(1);
        expect(mark.stdout, args.join(' ')).toMatch(
          /^ERROR: step 1 is \[run\]: the engine \(pid \d+, run r\w+\) is running it; wait for it to end, or stop the run with workflow abort\n$/,
        );
      }
    }
    expect([...(await setup.statuses()).values()]).toEqual(['run', 'wait']);

    await writeFile(gate, 'open\n');
    const result = await engine.ended;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done']);
    const events = await setup.events();
    expect(events.filter((e) => e.event === 'dispatched').map((e) => e.step)).toEqual([1, 2]);
    // No engine now: the verbs work as before.
    expect(await setup.workflow(['next', setup.planspace])).toMatchObject({ code: 0, stdout: 'COMPLETE\n' });
  });

  it('still lets workflow retry N reset a [run] step when no engine runs (a step taken by hand)', async () => {
    const setup = await makeRun({ schedule: schedule('[run] 1. manual | gated -- taken with workflow next') });
    const retry = await setup.workflow(['retry', setup.planspace, '1']);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toBe('Reset to wait: [wait] 1. manual | gated -- taken with workflow next\n');
  });
});
