/**
 * Verification gates (issue 19), through real processes: `verify:` commands and `--verify`
 * run with `sh -c` in the codespace after a step's agent succeeded; a failure fails the attempt,
 * its output goes to `artifacts/<stem>-attempt-K-verify.txt` and, as a "Verification failed"
 * section, into the next attempt's prompt and the exception handler's; a command is killed
 * with its whole process tree by the step's timeout and by an abort.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENTS_BIN, makeRun, waitFor, waitForExit, type RunSetup } from '../engine/setup.js';

const VERIFY_FLAKY = join(AGENTS_BIN, 'verify-flaky.js');

/** A model that reads its prompt and exits 0 at once: a success with no report, in a few ms. */
const QUICK_MODEL = { command: '/bin/sh', args: ['-c', 'cat >/dev/null'] };

function schedule(...lines: string[]): string {
  return ['# Schedule: verify', '', ...lines, ''].join('\n');
}

function artifact(setup: RunSetup, name: string): Promise<string> {
  return readFile(join(setup.planspace, 'artifacts', name), 'utf8');
}

/** The pids a verification command wrote to `file`, one a line, once it holds `count` of them. */
function pidsIn(file: string, count: number): Promise<number[]> {
  return waitFor(`${count} pids in ${file}`, async () => {
    const pids = existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '') : [];
    return pids.length >= count && pids.map(Number);
  });
}

describe('workflow run: verify', () => {
  it('runs each verify: command in order in the codespace after the agent; all pass: the step is done', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. build | glm -- build it',
        '  - verify: echo "first in $(pwd) for step $WORKFLOW_STEP" > verified.txt',
        '  - verify: echo second >> verified.txt; echo to-stderr >&2',
      ),
    });
    const result = await setup.run();
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    expect(await setup.statuses()).toEqual(new Map([[1, 'done']]));
    expect(await readFile(join(setup.codespace, 'verified.txt'), 'utf8')).toBe(
      `first in ${setup.codespace} for step 1\nsecond\n`,
    );
    expect(await artifact(setup, 'step-1-attempt-1-verify.txt')).toBe(
      '$ echo "first in $(pwd) for step $WORKFLOW_STEP" > verified.txt\n' +
        '$ echo second >> verified.txt; echo to-stderr >&2\nto-stderr\n',
    );
    const events = (await setup.events()).filter((event) => event.step === 1).map((event) => event.event);
    expect(events).toEqual([
      'dispatched',
      'verify-started',
      'verify-passed',
      'verify-started',
      'verify-passed',
      'done',
    ]);
    expect(await readFile(join(setup.planspace, 'log.md'), 'utf8')).toContain(
      'step 1 (build): verify passed: echo second >> verified.txt; echo to-stderr >&2',
    );
  });

  it('a verify that fails once then passes, with retries: 1: done after 2 attempts; the second prompt shows the failure', async () => {
    const counter = 'verify-count';
    const setup = await makeRun({
      schedule: schedule('[wait] 1. build | glm -- build it', `  - verify: ${VERIFY_FLAKY}`, '  - retries: 1'),
    });
    const result = await setup.run();
    expect(result).toMatchObject({ code: 0 });
    expect(await setup.statuses()).toEqual(new Map([[1, 'done']]));
    expect(await readFile(join(setup.codespace, counter), 'utf8')).toBe('2');
    expect((await setup.record(1)).attempt).toBe(2);

    const events = await setup.events();
    const failed = events.find((event) => event.event === 'attempt-failed');
    expect(failed).toMatchObject({ step: 1, attempt: 1, reason: `verify failed: ${VERIFY_FLAKY} (exit 1)` });
    expect(events.find((event) => event.event === 'verify-failed')).toMatchObject({
      step: 1,
      command: VERIFY_FLAKY,
      exitCode: 1,
      output: join(setup.planspace, 'artifacts', 'step-1-attempt-1-verify.txt'),
    });

    expect(await artifact(setup, 'step-1-attempt-1-verify.txt')).toBe(
      `$ ${VERIFY_FLAKY}\ncheck 1 of 3 failed\ncheck 2 of 3 failed\ncheck 3 of 3 failed\n`,
    );
    expect(await artifact(setup, 'step-1-attempt-2-verify.txt')).toBe(`$ ${VERIFY_FLAKY}\nall checks passed\n`);
    expect(await artifact(setup, 'step-1-attempt-1-prompt.md')).not.toContain('Verification failed');
    const second = await artifact(setup, 'step-1-attempt-2-prompt.md');
    expect(second).toContain('## Verification failed');
    expect(second).toContain(`    $ ${VERIFY_FLAKY}\n    exit 1\n`);
    expect(second).toContain('    check 1 of 3 failed\n    check 2 of 3 failed\n    check 3 of 3 failed\n');
    expect(second).toContain(join(setup.planspace, 'artifacts', 'step-1-attempt-1-verify.txt'));
    // The agent saw the same prompt as the file holds.
    expect((await setup.record(1)).prompt).toBe(second);
  }, 60_000);

  it('a failing verify with no retries reaches the exception handler with its last 100 lines of output', async () => {
    const setup = await makeRun({
      schedule: schedule('[wait] 1. build | glm -- build it', `  - verify: ${VERIFY_FLAKY} --all`),
      env: { VERIFY_LINES: '150' },
    });
    const result = await setup.run();
    // The handler fixed it (FIXED); the step ran again, and its verify passed.
    expect(result).toMatchObject({ code: 0 });
    expect(await setup.statuses()).toEqual(new Map([[1, 'done']]));

    const reason = `verify failed: ${VERIFY_FLAKY} --all (exit 1)`;
    const handler = await artifact(setup, 'exception-1-prompt.md');
    expect(handler).toContain(`Step 1 (build) failed: ${reason}.`);
    expect(handler).toContain('### Verification failed');
    expect(handler).toContain(`    $ ${VERIFY_FLAKY} --all\n    exit 1\n`);
    expect(handler).toContain('    check 51 of 150 failed\n');
    expect(handler).toContain('    check 150 of 150 failed\n');
    expect(handler).not.toContain('check 50 of 150 failed');
    // The whole output is in the attempt's file.
    const all = await artifact(setup, 'step-1-attempt-1-verify.txt');
    expect(all.split('\n')).toHaveLength(152);
    expect(all).toContain('check 1 of 150 failed\n');

    const events = await setup.events();
    expect(events.find((event) => event.event === 'failed')).toMatchObject({
      step: 1,
      reason,
      outputTail: 'check 148 of 150 failed · check 149 of 150 failed · check 150 of 150 failed',
    });
    // The attempt after the fix is shown the failure too.
    expect(await artifact(setup, 'step-1-attempt-2-prompt.md')).toContain('## Verification failed');
  }, 60_000);

  it('verifies each block on its own; the handler is shown every failed block', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. build | quick -- build it',
        '  - blocks: a, b',
        `  - verify: VERIFY_COUNTER=count-$WORKFLOW_BLOCK ${VERIFY_FLAKY}`,
      ),
      // Not agent-record.js, whose blocks would share one record file.
      models: { quick: QUICK_MODEL },
    });
    const result = await setup.run();
    expect(result).toMatchObject({ code: 0 });
    for (const block of ['a', 'b']) {
      expect(await artifact(setup, `step-1-block-${block}-attempt-1-verify.txt`)).toContain('check 3 of 3 failed\n');
      expect(await artifact(setup, `step-1-block-${block}-attempt-2-verify.txt`)).toContain('all checks passed\n');
      expect(await artifact(setup, `step-1-block-${block}-attempt-2-prompt.md`)).toContain(
        `## Verification failed (block ${block})\n`,
      );
    }
    const handler = await artifact(setup, 'exception-1-prompt.md');
    expect(handler).toContain('### Verification failed (block a)\n');
    expect(handler).toContain('### Verification failed (block b)\n');
    expect(handler).toContain(join(setup.planspace, 'artifacts', 'step-1-block-b-attempt-1-verify.txt'));
  }, 60_000);

  it.each([
    ['cgroup tracking where the machine offers it', '1'],
    ['the environment marker', '0'],
  ])(
    "is killed with its children by the step's timeout, which fails the attempt (%s)",
    async (_, cgroups) => {
      const pids = 'verify-pids';
      // The first run leaves two sleeps behind its shell and waits; a later run passes.
      const command = `if [ -f ${pids} ]; then exit 0; fi; sleep 100 & echo $! >> ${pids}; sleep 100 & echo $! >> ${pids}; wait`;
      const setup = await makeRun({
        schedule: schedule('[wait] 1. build | quick -- build it', '  - timeout: 3s', `  - verify: ${command}`),
        models: { quick: QUICK_MODEL },
        env: { PLANSPACE_CGROUPS: cgroups },
      });
      const result = await setup.run();
      for (const pid of await pidsIn(join(setup.codespace, pids), 2)) setup.track(pid);
      expect(result).toMatchObject({ code: 0 });

      const events = await setup.events();
      const reason = `verify failed: ${command} (timeout after 3s)`;
      expect(events.find((event) => event.event === 'failed')).toMatchObject({ step: 1, reason });
      expect(events.find((event) => event.event === 'verify-failed')).toMatchObject({ timedOut: true });
      expect(await artifact(setup, 'exception-1-prompt.md')).toContain(`    $ ${command}\n    timeout after 3s\n`);
      for (const pid of await pidsIn(join(setup.codespace, pids), 2)) await waitForExit(pid, 'a sleep of the verify');
    },
    60_000,
  );

  it('is killed with its children by workflow abort; the step goes back to [wait]', async () => {
    const pids = 'verify-pids';
    const setup = await makeRun({
      schedule: schedule('[wait] 1. build | quick -- build it', `  - verify: sleep 100 & echo $! >> ${pids}; wait`),
      models: { quick: QUICK_MODEL },
    });
    const engine = setup.start();
    const [sleeper = 0] = await pidsIn(join(setup.codespace, pids), 1);
    setup.track(sleeper);
    expect(await setup.workflow(['abort', setup.planspace])).toMatchObject({ code: 0 });
    const result = await engine.ended;
    expect(result).toMatchObject({ code: 4 });
    expect(result.stdout).toMatch(/ABORTED\n$/);
    expect(await setup.statuses()).toEqual(new Map([[1, 'wait']]));
    await waitForExit(sleeper, 'the sleep of the verify');
  }, 60_000);

  it('--verify is the default of steps without verify:, in order; a step with its own runs only those', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. plain | quick -- no verify of its own',
        '[wait] 2. own | quick -- its own verify',
        '  - verify: echo own-$WORKFLOW_STEP >> verify-log.txt',
      ),
      models: { quick: QUICK_MODEL },
    });
    const result = await setup.run([
      '--verify',
      'echo default-$WORKFLOW_STEP >> verify-log.txt',
      '--verify=echo second-$WORKFLOW_STEP >> verify-log.txt',
    ]);
    expect(result).toMatchObject({ code: 0 });
    expect(await readFile(join(setup.codespace, 'verify-log.txt'), 'utf8')).toBe('default-1\nsecond-1\nown-2\n');
  });

  it('--dry-run prints each unit’s verify commands after its agent’s command', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. plain | quick -- no verify of its own',
        '[wait] 2. own | quick -- its own verify',
        '  - blocks: a, b',
        '  - verify: npm test',
        "  - verify: npm run lint -- --max-warnings 0 'src/'",
      ),
      models: { quick: QUICK_MODEL },
    });
    const result = await setup.run(['--dry-run', '--verify', 'make check']);
    expect(result).toMatchObject({ code: 0 });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => !line.includes('/bin/sh'))).toEqual([
      'step 1 (plain): then verify: make check',
      'step 2 (own) block a: then verify: npm test',
      "step 2 (own) block a: then verify: npm run lint -- --max-warnings 0 'src/'",
      'step 2 (own) block b: then verify: npm test',
      "step 2 (own) block b: then verify: npm run lint -- --max-warnings 0 'src/'",
    ]);
    expect(lines[0]).toMatch(/^step 1 \(plain\): \/bin\/sh/);
    const json = await setup.run(['--dry-run', '--json']);
    const plan = JSON.parse(json.stdout) as { dispatches: { verify: string[] }[] };
    expect(plan.dispatches.map((dispatch) => dispatch.verify)).toEqual([
      [],
      ['npm test', "npm run lint -- --max-warnings 0 'src/'"],
      ['npm test', "npm run lint -- --max-warnings 0 'src/'"],
    ]);
  });
});

describe('workflow check and run: bad verify commands', () => {
  it.each([
    ['an empty verify:', '  - verify:', "schedule.md:4:12: expected a shell command such as 'npm test', found nothing"],
    ['blanks only', '  - verify:   ', "schedule.md:4:12: expected a shell command such as 'npm test', found nothing"],
    [
      'a control character',
      '  - verify: npm\u0007 test',
      'schedule.md:4:16: expected a shell command without control characters, found \\x07',
    ],
  ])(
    'check refuses %s with file, line and column, exit 2; run refuses too and writes nothing',
    async (_, item, problem) => {
      const text = schedule('[wait] 1. build | quick -- build it', item);
      const setup = await makeRun({ schedule: text, models: { quick: QUICK_MODEL } });
      const check = await setup.workflow(['check', setup.planspace]);
      expect(check.code).toBe(2);
      expect(check.stdout).toBe(`${join(setup.planspace, problem)}\n`);
      const run = await setup.run();
      expect(run.code).toBe(2);
      expect(await readFile(join(setup.planspace, 'schedule.md'), 'utf8')).toBe(text);
      expect(existsSync(join(setup.planspace, 'log.md'))).toBe(false);
    },
  );

  it('run refuses an empty --verify with exit 2 and writes nothing', async () => {
    const setup = await makeRun({
      schedule: schedule('[wait] 1. build | quick -- build it'),
      models: { quick: QUICK_MODEL },
    });
    const run = await setup.run(['--verify', '  ']);
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toContain("--verify wants a shell command such as 'npm test'; found nothing");
    expect(existsSync(join(setup.planspace, 'log.md'))).toBe(false);
  });
});
