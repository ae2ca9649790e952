/**
 * What a model file says beyond its command (issue 18): `report = "required"` (exit 0 without
 * a `done:` report fails the step), placeholders in `args` and `env` (`--add-dir {planspace}`),
 * and `timeout`/`stall` for the steps that set none. Real `workflow run` processes, fake agents.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AGENT_HANDLER,
  AGENT_RECORD,
  AGENTS_BIN,
  makeRun,
  waitFor,
  type EngineProcess,
  type RunSetup,
} from './setup.js';

const AGENT_ECHO = join(AGENTS_BIN, 'agent-echo.js');
const AGENT_TAGGED = join(AGENTS_BIN, 'agent-tagged.js');
const AGENT_ARGV = join(AGENTS_BIN, 'agent-argv.js');
const AGENT_TIMED = join(AGENTS_BIN, 'agent-timed.js');

/** A schedule file: a heading, then `lines`. */
function schedule(...lines: string[]): string {
  return ['# Schedule: model options', '', ...lines, ''].join('\n');
}

/** Writes `<name>.toml` into the run's model folder, exactly `lines`. */
async function writeModel(setup: RunSetup, name: string, ...lines: string[]): Promise<string> {
  const file = join(setup.models, `${name}.toml`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * Answers `skip` to the escalations of `steps` (the handler escalates every failure) and waits
 * for the engine to end; returns the `failed` events by step.
 */
async function skipFailures(setup: RunSetup, engine: EngineProcess, steps: readonly number[]) {
  for (const step of steps) {
    const id = await waitFor(`the escalation of step ${step}`, async () => {
      const { stdout } = await setup.workflow(['questions', setup.planspace]);
      return new RegExp(`^(q\\d+) \\| step=${step} \\| from=human \\| `, 'm').exec(stdout)?.[1];
    });
    expect(await setup.workflow(['answer', setup.planspace, '--id', id, 'skip'])).toMatchObject({ code: 0 });
  }
  const result = await engine.ended;
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const failed = (await setup.eventsSoFar()).filter((event) => event.event === 'failed');
  return new Map(failed.map((event) => [event.step, event]));
}

const ESCALATE = ['[env]', 'VERDICT = "ESCALATE: a human decides"'];

describe('model file: report = "required"', () => {
  it('fails an agent that exits 0 without a done: report, or whose report was refused; one that reports is done', async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. mute | silent -- exits 0 and reports nothing',
        '[wait] 2. honest | reporter -- reports done',
        '  - needs: none',
        '[wait] 3. confused | liar -- reports done for another step',
        '  - needs: none',
        '[wait] 4. old | lenient -- exits 0 and reports nothing, report optional',
        '  - needs: none',
      ),
    });
    await writeModel(setup, 'silent', `command = ${JSON.stringify(AGENT_ECHO)}`, 'report = "required"');
    await writeModel(
      setup,
      'reporter',
      `command = ${JSON.stringify(AGENT_RECORD)}`,
      'report = "required"',
      '[env]',
      `RECORD_DIR = ${JSON.stringify(setup.records)}`,
    );
    await writeModel(
      setup,
      'liar',
      `command = ${JSON.stringify(AGENT_TAGGED)}`,
      'report = "required"',
      '[env]',
      'TAG = "2"',
    );
    await writeModel(setup, 'lenient', `command = ${JSON.stringify(AGENT_ECHO)}`);
    await writeModel(setup, 'handler', `command = ${JSON.stringify(AGENT_HANDLER)}`, ...ESCALATE);
    const failed = await skipFailures(setup, setup.start(), [1, 3]);
    expect([...failed.keys()].sort()).toEqual([1, 3]);
    for (const step of [1, 3]) {
      expect(failed.get(step)).toMatchObject({ reason: 'exited 0 without a done: report', exitCode: 0 });
    }
    expect([...(await setup.statuses()).entries()]).toEqual([
      [1, 'skip'],
      [2, 'done'],
      [3, 'skip'],
      [4, 'done'],
    ]);
    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toContain('step 1 (mute): failed, exited 0 without a done: report');
    expect(log).toContain('step 2 (honest): done: recorded attempt 1');
  });
});

describe('model file: placeholders in args and env', () => {
  it('fills in {planspace}, {codespace}, {step}, {run_id} and {prompt_file}, and {{ }} as braces', async () => {
    const setup = await makeRun({ schedule: schedule('[wait] 1. look | argv -- record the arguments') });
    await writeModel(
      setup,
      'argv',
      `command = ${JSON.stringify(AGENT_ARGV)}`,
      'args = ["--add-dir", "{planspace}", "--cd={codespace}", "{step}", "{run_id}", "{prompt_file}", "{{json}}"]',
      'report = "required"',
      '[env]',
      'ARGV_FILE = "{planspace}/argv-{step}.json"',
      'RECORD_VARS = "WHERE"',
      'WHERE = "{codespace}|{run_id}|{{}}"',
    );
    const result = await setup.run();
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    const runId = (await setup.events()).find((event) => event.event === 'dispatched')?.runId;
    expect(runId).toMatch(/^r/);
    const seen = JSON.parse(await readFile(join(setup.planspace, 'argv-1.json'), 'utf8')) as unknown;
    expect(seen).toEqual({
      args: [
        '--add-dir',
        setup.planspace,
        `--cd=${setup.codespace}`,
        '1',
        runId,
        join(setup.planspace, 'artifacts', 'step-1-attempt-1-prompt.md'),
        '{json}',
      ],
      env: { WHERE: `${setup.codespace}|${String(runId)}|{}` },
    });
  });

  it('refuses an unknown placeholder in check and run, naming the file and the value, and starts nothing', async () => {
    const setup = await makeRun({ schedule: schedule('[wait] 1. look | argv -- record the arguments') });
    const file = await writeModel(
      setup,
      'argv',
      `command = ${JSON.stringify(AGENT_ARGV)}`,
      'args = ["--add-dir", "{plan_space}"]',
    );
    const check = await setup.workflow(['check', setup.planspace, '--models', setup.models]);
    expect(check.code).toBe(2);
    expect(check.stdout + check.stderr).toContain(
      `${file}: 'args[1]': unknown placeholder {plan_space} (known: {planspace}, {codespace}, {step}, {run_id}, {prompt_file}; write {{ and }} for literal braces)`,
    );
    const run = await setup.run();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}: 'args[1]': unknown placeholder {plan_space}`);
    expect(await setup.statuses()).toEqual(new Map([[1, 'wait']]));
  });
});

describe('model file: timeout and stall', () => {
  it("limits the steps that set none, shown by --dry-run; a step's own timeout wins", async () => {
    const setup = await makeRun({
      schedule: schedule(
        '[wait] 1. slow | sleeper -- sleeps past the model timeout',
        '[wait] 2. patient | sleeper -- sleeps, under its own longer timeout',
        '  - needs: none',
        '  - timeout: 10m',
      ),
    });
    await writeModel(
      setup,
      'sleeper',
      `command = ${JSON.stringify(AGENT_TIMED)}`,
      'args = ["{step}"]',
      'timeout = "1s"',
      'stall = "5m"',
      '[env]',
      `RECORD_DIR = ${JSON.stringify(setup.records)}`,
      'SLEEP_MS = "4000"',
    );
    await writeModel(setup, 'handler', `command = ${JSON.stringify(AGENT_HANDLER)}`, ...ESCALATE);

    const dry = await setup.run(['--dry-run']);
    expect(dry.code).toBe(0);
    const folder = join(setup.planspace, 'artifacts', 'dry-run');
    expect(dry.stdout).toBe(
      [
        `step 1 (slow): ${AGENT_TIMED} 1 < ${join(folder, 'step-1-prompt.md')}   # timeout 1s (model), stall 5m (model)`,
        `step 2 (patient): ${AGENT_TIMED} 2 < ${join(folder, 'step-2-prompt.md')}   # timeout 10m (step), stall 5m (model)`,
        '',
      ].join('\n'),
    );

    const failed = await skipFailures(setup, setup.start(), [1]);
    expect(failed.get(1)).toMatchObject({ reason: 'timeout' });
    expect([...(await setup.statuses()).entries()]).toEqual([
      [1, 'skip'],
      [2, 'done'],
    ]);
  });
});
