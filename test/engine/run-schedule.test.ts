/**
 * `workflow run` on the real implement-proposal schedule of the fixture skill, every model a
 * recording fake agent: what each agent was given, and what the planspace holds afterwards.
 */
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SKILL } from '../helpers.js';
import { makeRun } from './setup.js';

/**
 * The lines of implement.md from the heading line that starts with `## <from>` up to, not
 * including, the one that starts with `## <to>`: computed from raw lines, independently of
 * the engine's markdown parser. Each heading must occur exactly once.
 */
function linesBetween(text: string, from: string, to: string): string {
  const lines = text.split('\n');
  const find = (heading: string): number => {
    const found = lines.flatMap((line, index) => (line.startsWith(`## ${heading}`) ? [index] : []));
    expect(found, `implement.md lines starting with '## ${heading}'`).toHaveLength(1);
    return found[0] ?? -1;
  };
  const start = find(from);
  const end = find(to);
  expect(end).toBeGreaterThan(start);
  return `${lines.slice(start, end).join('\n')}\n`;
}

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

describe('workflow run: the implement-proposal schedule', () => {
  it('runs all 7 steps, giving each agent its verbatim section, environment and codespace', async () => {
    const setup = await makeRun();
    const result = await setup.run();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('COMPLETE');

    expect([...(await setup.statuses()).entries()]).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => [n, 'done']));
    expect(await setup.recordFiles()).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `step-${n}.json`));

    const implement = await readFile(join(SKILL, 'implement.md'), 'utf8');
    const sections = new Map([
      [1, linesBetween(implement, 'Stage 1:', 'Stage 2:')],
      [2, linesBetween(implement, 'Stage 2:', 'Stage 3:')],
      // Stage 3 quotes `## Related Files` inside fenced blocks; those are not headings.
      [3, linesBetween(implement, 'Stage 3:', 'Section-at-a-Time Execution')],
      [4, linesBetween(implement, 'Stage 4:', 'Stage 6:')],
      [5, linesBetween(implement, 'Stage 6:', 'Stage 7:')],
      [6, linesBetween(implement, 'Stage 7:', 'Test Baseline')],
    ]);
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
    expect(step4).toContain('## Stage 4: Solution');
    expect(step4).toContain('## Stage 5: Plan + Implement');
    expect(step4).toContain('### Cross-section rescheduling');
    expect(step4).not.toContain('## Stage 6');
    expect(step4).not.toContain('### 6a: Constraint Audit');

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
  });
});
