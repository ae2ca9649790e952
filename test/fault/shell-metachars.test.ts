/**
 * Shell syntax in everything a user writes never reaches a shell: step names, descriptions and
 * refs, the skill section, `state.md`, a model's `args` and `env`, the planspace's own path and
 * `workflow init --set` values. A real `workflow run` dispatches a fake agent
 * (`agent-verbatim.js`) that records its argv and standard input, and then runs the prompt's
 * `done:` report command through `/bin/sh` as an LLM agent would: a quoting mistake there would
 * run `touch PWNED` or lose the report.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelToml } from '../engine/setup.js';
import { makeTree, ROOT } from '../helpers.js';
import { runBounded } from './sandbox.js';

const AGENT = join(ROOT, 'test', 'fixtures', 'bin', 'agent-verbatim.js');

/** Every payload writes a file named PWNED if any shell ever evaluates it. */
const SUBSTITUTION = '$(touch PWNED)';
const BACKTICKS = '`touch PWNED`';
const LIST = `; touch PWNED && touch PWNED || touch PWNED | tee PWNED > PWNED`;

const HEADING = `Stage ${SUBSTITUTION}; a|b && c > d "q" 'r'`;
const SKILL = `# Guide\n\n## ${HEADING}\n\nRun ${BACKTICKS} ${LIST}\nand "$HOME" '$(x)' \\ \n`;
const NAME = `${SUBSTITUTION};${BACKTICKS}|x&&y>z"q'uote`;
const DESCRIPTION = `do ${SUBSTITUTION} and ${BACKTICKS} ${LIST} 'single' "double"`;
const REF = `guide.md ${HEADING}`;
const STATE = `# State\n\n${SUBSTITUTION}\n${BACKTICKS}\n${LIST}\n`;
/** A model's args: each must reach the agent as one argv entry, byte for byte. */
const ARGS = [
  SUBSTITUTION,
  BACKTICKS,
  'a; touch PWNED',
  'x && touch PWNED',
  '> PWNED',
  '| tee PWNED',
  `'"`,
  'line1\nline2',
  '*',
  '~',
  '$HOME',
  '',
];
/** The summary the agent puts into the prompt's report command (inside its single quotes). */
const SUMMARY = `sent ${SUBSTITUTION} ${BACKTICKS} ; touch PWNED && echo "q" > PWNED`;

/** Every file named PWNED under `dir` (the planspace's own name only contains the word). */
async function markers(dir: string, recursive = true): Promise<string[]> {
  const entries = await readdir(dir, { recursive });
  return entries.filter((entry) => entry.split('/').at(-1) === 'PWNED');
}

describe('shell metacharacters', () => {
  it('reach the agent verbatim through workflow run, and no shell evaluates them', async () => {
    // The planspace's own path holds a quote, a substitution and backticks: it is shell-quoted
    // into the report commands of the prompt.
    const folder = `pl'an ${SUBSTITUTION} ${BACKTICKS}`;
    const schedule = [
      `# Schedule: ${SUBSTITUTION} ${BACKTICKS}`,
      '',
      `[wait] 1. ${NAME} | argmode -- ${DESCRIPTION} (${REF})`,
      `[wait] 2. stdin-step | stdinmode -- ${LIST} (${REF})`,
      '',
    ].join('\n');
    const root = await makeTree({
      [`${folder}/schedule.md`]: schedule,
      [`${folder}/state.md`]: STATE,
      'code/README.md': 'codespace\n',
      'skills/guide.md': SKILL,
      'records/.keep': '',
      'agents/exception-handler.md': '---\nmodel: argmode\n---\nYou handle failures.\n',
    });
    const planspace = join(root, folder);
    const codespace = join(root, 'code');
    const records = join(root, 'records');
    const env = { RECORD_DIR: records, PROBE: `${SUBSTITUTION} ${BACKTICKS}`, SUMMARY };
    const argmode = modelToml({ command: AGENT, args: ARGS, env }).replace('[env]', 'prompt_mode = "arg"\n[env]');
    const messages = JSON.stringify([`progress:../../${SUBSTITUTION}:half way ${BACKTICKS}`]);
    const stdinmode = modelToml({ command: AGENT, args: ['--flag', LIST], env: { ...env, SEND_MESSAGES: messages } });
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'models'));
    await writeFile(join(root, 'models', 'argmode.toml'), argmode);
    await writeFile(join(root, 'models', 'stdinmode.toml'), stdinmode);

    const sources = ['--codespace', codespace, '--skills', join(root, 'skills'), '--models', join(root, 'models')];
    const result = await runBounded(['run', planspace, ...sources, '--agents', join(root, 'agents')], codespace);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);

    const prompt1 = await readFile(join(planspace, 'artifacts', 'step-1-prompt.md'), 'utf8');
    const prompt2 = await readFile(join(planspace, 'artifacts', 'step-2-prompt.md'), 'utf8');
    const step1 = JSON.parse(await readFile(join(records, 'step-1.json'), 'utf8')) as Record<string, unknown>;
    const step2 = JSON.parse(await readFile(join(records, 'step-2.json'), 'utf8')) as Record<string, unknown>;
    // argv: the model's args one by one, then the prompt file's text as the last argument.
    expect(step1).toMatchObject({ args: [...ARGS, prompt1], stdin: '', cwd: codespace, probe: env.PROBE });
    expect(step2).toMatchObject({ args: ['--flag', LIST], stdin: prompt2, cwd: codespace });
    for (const text of [NAME, DESCRIPTION, REF, `## ${HEADING}`, `Run ${BACKTICKS} ${LIST}`, `    ${SUBSTITUTION}`]) {
      expect(prompt1).toContain(text);
    }
    expect(prompt2).toContain(`[run] 2. stdin-step | stdinmode -- ${LIST} (${REF})`);

    // The report commands ran in a real shell and delivered the summary, quotes and all.
    const log = await readFile(join(planspace, 'log.md'), 'utf8');
    expect(log).toContain(`step 1 (${NAME}): done: ${SUMMARY}`);
    expect(log).toContain(`step 2 (stdin-step): done: ${SUMMARY}`);
    expect(log).toContain(`half way ${BACKTICKS}`);

    expect(await markers(root)).toEqual([]);
    // The test runner's working directory (the repository) too, though no command ran there.
    expect(await markers(ROOT, false)).toEqual([]);
  });

  it('workflow init --set puts values with shell syntax into the schedule verbatim', async () => {
    const value = `${SUBSTITUTION} ${BACKTICKS} ${LIST} 'single' "double" \\ $HOME`;
    const root = await makeTree({
      'tpl.md': '# Schedule: {{goal}}\n\n[wait] 1. plan | m -- {{goal}}\n',
      'code/README.md': 'codespace\n',
    });
    const planspace = join(root, 'plan');
    const args = ['init', planspace, '--template', join(root, 'tpl.md'), '--set', `goal=${value}`];
    const result = await runBounded(args, join(root, 'code'));
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(await readFile(join(planspace, 'schedule.md'), 'utf8')).toBe(
      `# Schedule: ${value}\n\n[wait] 1. plan | m -- ${value}\n`,
    );
    expect(await markers(root)).toEqual([]);
  });
});
