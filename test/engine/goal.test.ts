/**
 * `workflow run --goal`: the planner agent (a script, `agent-planner.js`, run through its model
 * TOML as the exception-handler tests run theirs) picks the steps before anything is
 * dispatched; the run takes them and every step they need, as `--only` would.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findAgentFile, PACKAGE_AGENTS } from '../../src/dispatch/agent-file.js';
import { hashFile } from '../helpers.js';
import { AGENTS_BIN, makeRun, type RunSetup } from './setup.js';

const AGENT_PLANNER = join(AGENTS_BIN, 'agent-planner.js');

/** Step 3 needs 2; 1 stands alone; 4 needs 3 (by default: the step before it). */
const SCHEDULE = [
  '# Schedule: goal',
  '',
  '[wait] 1. unrelated | glm -- a step with no relation to the others',
  '  - needs: none',
  '[wait] 2. prepare | glm -- prepare the build',
  '  - needs: none',
  '[wait] 3. build | glm -- build, what the goal wants',
  '  - needs: 2',
  '[wait] 4. ship | glm -- ship the build',
  '',
].join('\n');

/** What agent-planner.js saved: its prompt and WORKFLOW_* environment. */
interface PlannerRecord {
  readonly env: Readonly<Record<string, string>>;
  readonly prompt: string;
}

/**
 * A run whose planner answers `answer` as its last line and exits `exit`; with `add`, it first
 * adds that step line with `workflow add` (see agent-planner.js).
 */
async function makeGoalRun(
  answer: string,
  exit = 0,
  add?: string,
): Promise<RunSetup & { readonly plannerRecord: string }> {
  const setup = await makeRun({ schedule: SCHEDULE });
  const plannerRecord = join(setup.records, 'planner.json');
  await setup.setModel('planner', {
    command: AGENT_PLANNER,
    env: {
      PLANNER_ANSWER: answer,
      PLANNER_EXIT: String(exit),
      PLANNER_RECORD: plannerRecord,
      ...(add !== undefined && { PLANNER_ADD: add }),
    },
  });
  await writeFile(join(setup.agents, 'planner.md'), '---\nmodel: planner\n---\nYou pick the steps for a goal.\n');
  return { ...setup, plannerRecord };
}

const GOAL = 'build the thing';

describe('workflow run --goal', () => {
  it('runs a step the planner added with workflow add, with the steps it needs', async () => {
    const setup = await makeGoalRun('SELECT: ADDED', 0, 'verify | glm -- check the build works');
    const result = await setup.run(['--goal', GOAL]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('planner selected step 5; the run takes steps 2, 3, 5');
    // The added step is in the schedule, needing 3, and ran with 2 and 3; 1 and 4 did not.
    expect([...(await setup.statuses()).entries()]).toEqual([
      [1, 'wait'],
      [2, 'done'],
      [3, 'done'],
      [4, 'wait'],
      [5, 'done'],
    ]);
    const schedule = await readFile(join(setup.planspace, 'schedule.md'), 'utf8');
    expect(schedule).toMatch(/\[done\] 5\. verify \| glm -- check the build works\n {2}- needs: 3\n/);
  });

  it('runs the steps the planner selected and what they need, and nothing else', async () => {
    const setup = await makeGoalRun('SELECT: 3');
    const result = await setup.run(['--goal', GOAL]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('planner selected step 3; the run takes steps 2, 3');
    expect(result.stdout).toMatch(/\nSELECTION DONE: steps 2, 3 done; 2 steps still wait\n$/);
    expect([...(await setup.statuses()).entries()]).toEqual([
      [1, 'wait'],
      [2, 'done'],
      [3, 'done'],
      [4, 'wait'],
    ]);
    expect(await setup.recordFiles()).toEqual(['planner.json', 'step-2.json', 'step-3.json']);
    const events = await setup.events();
    const names = events.map((event) => event.event);
    expect(names.indexOf('planner-dispatched')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('planner-dispatched')).toBeLessThan(names.indexOf('planner-selected'));
    expect(names.indexOf('planner-selected')).toBeLessThan(names.indexOf('dispatched'));
    expect(events.find((event) => event.event === 'planner-dispatched')).toMatchObject({
      goal: GOAL,
      model: 'planner',
    });
    expect(events.find((event) => event.event === 'planner-selected')).toMatchObject({ selected: [3], steps: [2, 3] });
    expect(events.filter((event) => event.event === 'dispatched').map((event) => event.step)).toEqual([2, 3]);
    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toContain('planner selected step 3; the run takes steps 2, 3');

    // The planner's prompt: its agent file, the goal, each step with its status and needs, and `workflow add`.
    const planner = JSON.parse(await readFile(setup.plannerRecord, 'utf8')) as PlannerRecord;
    expect(planner.prompt).toMatch(/^You pick the steps for a goal\.\n/);
    expect(planner.prompt).toContain(`## The goal\n\n${GOAL}\n`);
    expect(planner.prompt).toContain(
      '    3. [wait] build\n       models: glm · needs: 2\n       build, what the goal wants',
    );
    expect(planner.prompt).toContain('    4. [wait] ship\n       models: glm · needs: 3 (the step before it)');
    expect(planner.prompt).toContain(
      `workflow add ${setup.planspace} "<name> | <models> -- <description>" [--after N] [--needs 1,3]`,
    );
    // No WORKFLOW_STEP: `workflow add` would make each added step need it.
    expect(planner.env.WORKFLOW_STEP).toBeUndefined();
    expect(planner.env).toMatchObject({ WORKFLOW_PLANSPACE: setup.planspace, WORKFLOW_AGENT: 'planner' });
    expect(await readFile(join(setup.planspace, 'artifacts', 'planner-output.md'), 'utf8')).toContain('SELECT: 3');
  });

  it('SELECT: none ends the run with the reason and exit 1, dispatching nothing', async () => {
    const setup = await makeGoalRun('SELECT: none nothing to do');
    const before = await hashFile(join(setup.planspace, 'schedule.md'));
    const result = await setup.run(['--goal', GOAL]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\nNOTHING SELECTED: nothing to do\n$/);
    expect(await hashFile(join(setup.planspace, 'schedule.md'))).toBe(before);
    const events = await setup.events();
    expect(events.map((event) => event.event)).not.toContain('dispatched');
    expect(events.find((event) => event.event === 'planner-selected')).toMatchObject({
      selected: [],
      reason: 'nothing to do',
    });
    expect(await setup.recordFiles()).toEqual(['planner.json']);
  });

  it.each([
    {
      what: 'a last line that is no answer',
      answer: 'step 3 looks right to me',
      exit: 0,
      said: "the planner's answer is not 'SELECT: <step numbers>' or 'SELECT: none <reason>'; its last line: 'step 3 looks right to me'",
    },
    {
      what: 'a failed planner',
      answer: 'SELECT: 3',
      exit: 3,
      said: "the planner failed (exit code 3); its last line: 'SELECT: 3'",
    },
    {
      what: 'a step the schedule lacks',
      answer: 'SELECT: 3, 9',
      exit: 0,
      said: 'the planner selected step 9, not in ',
    },
  ])(
    '$what stops the run with exit 1, naming what the planner said; nothing dispatched',
    async ({ answer, exit, said }) => {
      const setup = await makeGoalRun(answer, exit);
      const before = await hashFile(join(setup.planspace, 'schedule.md'));
      const result = await setup.run(['--goal', GOAL]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`ERROR: ${said}`);
      expect(result.stdout).toContain('planner-attempt-1-output.md); nothing was dispatched');
      expect(await hashFile(join(setup.planspace, 'schedule.md'))).toBe(before);
      const events = await setup.events();
      expect(events.map((event) => event.event)).not.toContain('dispatched');
      expect(events.at(-1)).toMatchObject({ event: 'planner-failed', line: answer });
      expect(await setup.recordFiles()).toEqual(['planner.json']);
    },
  );

  it('a planner past its timeout is stopped and the run ends with exit 1, nothing dispatched', async () => {
    const setup = await makeGoalRun('SELECT: 3');
    await setup.setModel('planner', {
      command: AGENT_PLANNER,
      env: { PLANNER_ANSWER: 'SELECT: 3', PLANNER_SLEEP_MS: '60000' },
    });
    await writeFile(join(setup.agents, 'planner.md'), '---\nmodel: planner\ntimeout: 1s\n---\nYou pick the steps.\n');
    const result = await setup.run(['--goal', GOAL]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "ERROR: the planner timed out after 1s and was stopped; its last line: 'read the goal and the schedule'",
    );
    expect((await setup.events()).map((event) => event.event)).not.toContain('dispatched');
    expect([...(await setup.statuses()).values()]).toEqual(['wait', 'wait', 'wait', 'wait']);
  });

  it('with --dry-run runs the planner and shows the selection without running it', async () => {
    const setup = await makeGoalRun('SELECT: 3');
    const before = await hashFile(join(setup.planspace, 'schedule.md'));
    const result = await setup.run(['--goal', GOAL, '--dry-run']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('planner selected step 3; the run would take steps 2, 3');
    expect(lines.slice(1).map((line) => line.split(':')[0])).toEqual(['step 2 (prepare)', 'step 3 (build)']);
    expect(await hashFile(join(setup.planspace, 'schedule.md'))).toBe(before);
    // The planner ran; no step's agent did.
    expect(await setup.recordFiles()).toEqual(['planner.json']);
    const selected = (await setup.events()).find((event) => event.event === 'planner-selected');
    expect(selected).toMatchObject({ dryRun: true, selected: [3], steps: [2, 3] });
    expect(await readFile(join(setup.planspace, 'log.md'), 'utf8')).toContain(
      'dry run: planner selected step 3; the run takes steps 2, 3',
    );
  });

  it('--goal with --only is a usage error (exit 2): no planner runs', async () => {
    const setup = await makeGoalRun('SELECT: 3');
    const result = await setup.run(['--goal', GOAL, '--only', '3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--goal picks the steps itself: not with --only');
    expect(await setup.recordFiles()).toEqual([]);
  });

  it("the package's planner.md parses and states the answer's exact format", async () => {
    const planner = await findAgentFile('planner', [PACKAGE_AGENTS]);
    expect(planner.model).toBe('claude-opus');
    expect(planner.body).toContain('`SELECT: <step numbers>`');
    expect(planner.body).toContain('`SELECT: none <reason>`');
  });
});
