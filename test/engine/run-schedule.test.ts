/**
 * `workflow run` on the implement-proposal schedule of a skill, every model a recording fake
 * agent: what each agent was given, and what the planspace holds afterwards. It runs on the
 * tests' own skill, and on the public agent-implementation skill when PLANSPACE_REAL_SKILL
 * names its folder.
 */
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linesBetween, REAL_SKILL, realSkillSuite, SKILL } from '../helpers.js';
import { makeRun } from './setup.js';

/** A skill folder, and what its implement-proposal run must quote. */
interface SkillCase {
  readonly folder: string;
  /** Step number -> the heading lines of implement.md its section runs from and up to (by their start). */
  readonly sections: ReadonlyMap<number, readonly [from: string, to: string]>;
  /** Text step 4's prompt (`Stages 4-5`) must hold, and text it must not. */
  readonly step4Has: readonly string[];
  readonly step4HasNot: readonly string[];
}

const OWN_SKILL: SkillCase = {
  folder: SKILL,
  sections: new Map([
    [1, ['## Stage 1:', '## Stage 2:']],
    [2, ['## Stage 2:', '## Stage 3:']],
    // Stage 3 quotes `## Related files` inside a fenced block; that is not a heading.
    [3, ['## Stage 3:', '## Working one section at a time']],
    [4, ['## Stage 4:', '## Stage 6:']],
    [5, ['## Stage 6:', '## Stage 7:']],
    [6, ['## Stage 7:', '## Keeping the test baseline']],
  ]),
  step4Has: ['## Stage 4: Design the solution', '## Stage 5: Build it', '### Handing work to another section'],
  step4HasNot: ['## Stage 6', '### 6a: Rules audit'],
};

const PUBLIC_SKILL: SkillCase = {
  folder: REAL_SKILL ?? '',
  sections: new Map([
    [1, ['## Stage 1:', '## Stage 2:']],
    [2, ['## Stage 2:', '## Stage 3:']],
    // Stage 3 quotes `## Related Files` inside fenced blocks; those are not headings.
    [3, ['## Stage 3:', '## Section-at-a-Time Execution']],
    [4, ['## Stage 4:', '## Stage 6:']],
    [5, ['## Stage 6:', '## Stage 7:']],
    [6, ['## Stage 7:', '## Test Baseline']],
  ]),
  step4Has: ['## Stage 4: Solution', '## Stage 5: Plan + Implement', '### Cross-section rescheduling'],
  step4HasNot: ['## Stage 6', '### 6a: Constraint Audit'],
};

/** The part of a step prompt that quotes the skill section. */
function quotedSection(prompt: string): string {
  const intro = 'exactly as the skill states it.\n\n';
  const start = prompt.indexOf(intro);
  const end = prompt.indexOf('\n## What is known so far');
  expect(start, 'the section introduction in the prompt').toBeGreaterThan(-1);
  expect(end, 'the state heading after the section').toBeGreaterThan(start);
  return prompt.slice(start + intro.length, end);
}

/** Trailing blank lines are layout, not content. */
function trimTrailingBlankLines(text: string): string {
  return text.replace(/\n+$/, '\n');
}

/** Runs the skill's implement-proposal template to its end and checks every step's prompt, record and log. */
async function runImplementProposal(skill: SkillCase): Promise<void> {
  const setup = await makeRun({ skill: skill.folder });
  const result = await setup.run();
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('COMPLETE');

  expect([...(await setup.statuses()).entries()]).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => [n, 'done']));
  expect(await setup.recordFiles()).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `step-${n}.json`));

  const implement = await readFile(join(skill.folder, 'implement.md'), 'utf8');
  const sections = new Map(
    [...skill.sections].map(([n, [from, to]]) => [n, linesBetween(implement, from, to)] as const),
  );
  const models = new Map([
    [1, 'claude-opus'],
    [2, 'glm'],
    [3, 'glm'],
    [4, 'claude-opus,gpt-5.3-codex-high'],
    [5, 'gpt-5.3-codex-high2'],
    [6, 'glm'],
    [7, 'claude-opus'],
  ]);
  const events = await setup.events();
  const codespace = await realpath(setup.codespace);

  for (let n = 1; n <= 7; n += 1) {
    const prompt = await readFile(join(setup.planspace, 'artifacts', `step-${n}-prompt.md`), 'utf8');
    const section = sections.get(n);
    if (section === undefined) {
      expect(quotedSection(prompt)).toContain('This step names no skill section');
      expect(prompt).not.toContain('## Stage');
    } else {
      expect(trimTrailingBlankLines(quotedSection(prompt)), `step ${n}'s section`).toBe(
        trimTrailingBlankLines(section),
      );
    }

    const record = await setup.record(n);
    expect(record.prompt, `step ${n}: the prompt on the agent's stdin`).toBe(prompt);
    expect(record.attempt).toBe(1);
    expect(record.cwd).toBe(codespace);
    const dispatched = events.filter((event) => event.event === 'dispatched' && event.step === n);
    expect(dispatched).toHaveLength(1);
    expect(record.env).toMatchObject({
      WORKFLOW_PLANSPACE: setup.planspace,
      WORKFLOW_CODESPACE: setup.codespace,
      WORKFLOW_STEP: String(n),
      WORKFLOW_RUN_ID: dispatched[0]?.runId,
      WORKFLOW_AGENT: `step-${n}`,
      WORKFLOW_MODELS: models.get(n),
    });
    expect(prompt).toContain(`\`${String(dispatched[0]?.runId)}\``);
  }
  // Stages 4-5 run to the end of Stage 5 and not into Stage 6.
  const step4 = await readFile(join(setup.planspace, 'artifacts', 'step-4-prompt.md'), 'utf8');
  for (const text of skill.step4Has) expect(step4).toContain(text);
  for (const text of skill.step4HasNot) expect(step4).not.toContain(text);

  // One started, a dispatched and a done per step, one complete; each also a line in log.md.
  expect(events.map((event) => [event.event, event.step])).toEqual([
    ['started', undefined],
    ...[1, 2, 3, 4, 5, 6, 7].flatMap((n) => [
      ['dispatched', n],
      ['done', n],
    ]),
    ['complete', undefined],
  ]);
  const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
  const logLines = log.split('\n').filter((line) => line.startsWith('- '));
  expect(logLines).toEqual(events.map((event) => `- ${event.time} ${event.message}`));
  expect(logLines.filter((line) => / step \d \([\w-]+\): done: recorded attempt 1$/.test(line))).toHaveLength(7);

  const state = await readFile(join(setup.planspace, 'state.md'), 'utf8');
  expect(state).toMatch(/^## Position\n\nComplete: every step is done or skipped\.\n/m);
}

describe('workflow run: the implement-proposal schedule', () => {
  it('runs all 7 steps, giving each agent its verbatim section, environment and codespace', async () => {
    await runImplementProposal(OWN_SKILL);
  });
});

describe.skipIf(REAL_SKILL === undefined)(
  realSkillSuite("workflow run: the public skill's implement-proposal schedule"),
  () => {
    it('runs all 7 steps, giving each agent its verbatim section, environment and codespace', async () => {
      await runImplementProposal(PUBLIC_SKILL);
    });
  },
);
