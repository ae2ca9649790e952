import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseStepLine } from '../../src/schedule/parse.js';
import { renderStepPrompt, renderTemplate, shellQuote, TemplateError } from '../../src/prompt/render.js';

describe('renderTemplate', () => {
  it('fills placeholders in one pass, never expanding text inside a value', () => {
    expect(renderTemplate('a {{x}} b {{y-z}}', { x: '{{y-z}}', 'y-z': '2' })).toBe('a {{y-z}} b 2');
  });

  it('refuses a placeholder without a value', () => {
    expect(() => renderTemplate('{{missing}}', {}, 't.md')).toThrow(new TemplateError('t.md', 'missing'));
  });
});

describe('shellQuote', () => {
  it.each(['plain', '/tmp/a b', "it's", '$(rm -rf /)', '`x`', 'a;b|c&d', '', 'done:3:<summary>'])(
    'round-trips %j through a real shell',
    (word) => {
      expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' })).toBe(word);
    },
  );
});

describe('renderStepPrompt', () => {
  const parsed = parseStepLine('[run] 3. scan | glm -- relevance scan (implement.md Stage 3)');
  if (!parsed.ok) throw new Error('bad fixture');

  it('holds the step line, the verbatim section, the paths, the state and exact mailbox commands', async () => {
    const prompt = await renderStepPrompt({
      step: parsed.step,
      section: '## Stage 3: Scan\n\nKeep {{task-name}} as written.\n',
      planspace: "/tmp/plan space/it's",
      codespace: '/src/project',
      state: '# State\n\n## Position\nstep 3\n',
      agent: 'step-3',
      runId: 'r-42',
    });
    expect(prompt).toContain('[run] 3. scan | glm -- relevance scan (implement.md Stage 3)');
    expect(prompt).toContain('## Stage 3: Scan\n\nKeep {{task-name}} as written.\n');
    expect(prompt).toContain('`/src/project`');
    expect(prompt).toContain('    ## Position\n    step 3');
    expect(prompt).toContain(`mailbox send '/tmp/plan space/it'\\''s' orchestrator 'done:3:<one-line summary>'`);
    expect(prompt).toContain(`mailbox send '/tmp/plan space/it'\\''s' orchestrator 'ask:3:<question>'`);
    expect(prompt).toContain(`mailbox recv '/tmp/plan space/it'\\''s' step-3`);
    expect(prompt).not.toContain('Guidance from a human');
  });

  it('adds a human guidance section when there is one', async () => {
    const prompt = await renderStepPrompt({
      step: parsed.step,
      section: '',
      planspace: '/p',
      codespace: '/c',
      state: '',
      agent: 'step-3',
      runId: 'r-1',
      guidance: 'Use the v2 API.',
    });
    expect(prompt).toContain('## Guidance from a human\n\nUse the v2 API.\n');
    expect(prompt).toContain('(state.md is empty)');
  });
});
