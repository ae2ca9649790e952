/**
 * `workflow completion bash|zsh|fish`: the bash script run in a real bash, completing a verb,
 * an option, a step number after `done <planspace>` and a question id after `answer
 * <planspace> --id`; the zsh and fish scripts (those shells are not installed here) checked
 * for every verb of the program.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv, makePlanspaceWithOpenQuestion, ROOT, runWorkflow } from '../helpers.js';

/** The words bash would offer for `words` with the cursor on the last one. */
function bashComplete(words: readonly string[]): Promise<string[]> {
  const quoted = words.map((word) => `'${word}'`).join(' ');
  const script = [
    'source <(workflow completion bash)',
    `COMP_WORDS=(workflow ${quoted})`,
    `COMP_CWORD=${words.length}`,
    '_workflow',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const env = childEnv({
    PATH: `${join(ROOT, 'bin', 'commands')}:${process.env.PATH ?? ''}`,
    WORKFLOW_NODE: process.execPath,
  });
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`bash failed: ${stderr}`, { cause: error }));
      else resolve(stdout.split('\n').filter((line) => line !== ''));
    });
  });
}

/** A planspace with steps 1, 2 and 12, and open question q1 (this test's process is its engine). */
function planspace(): Promise<string> {
  return makePlanspaceWithOpenQuestion('[run] 1. a | m -- d\n[wait] 2. b | m -- d\n[wait] 12. c | m -- d\n');
}

describe('workflow completion bash', () => {
  it('completes a verb from its prefix', async () => {
    expect(await bashComplete(['re'])).toEqual(['retry', 'report']);
    expect(await bashComplete(['mailbox', 'dr'])).toEqual(['drain']);
  });

  it("completes a verb's options", async () => {
    expect(await bashComplete(['run', '/p', '--co'])).toEqual(['--codespace', '--concurrency']);
    expect(await bashComplete(['next', '/p', '--a'])).toEqual(['--all']);
  });

  it('completes step numbers after done <planspace>', async () => {
    const plan = await planspace();
    expect(await bashComplete(['done', plan, ''])).toEqual(['1', '2', '12']);
    expect(await bashComplete(['retry', plan, '1'])).toEqual(['1', '12']);
  });

  it('completes step numbers after rollback <planspace> --to', async () => {
    const plan = await planspace();
    expect(await bashComplete(['rollback', plan, '--to', ''])).toEqual(['1', '2', '12']);
  });

  it("completes add's options: step numbers after --after and --needs, conditions, attribute keys", async () => {
    const plan = await planspace();
    expect(await bashComplete(['add', plan, 'x | m -- d', '--af'])).toEqual(['--after']);
    expect(await bashComplete(['add', plan, 'x | m -- d', '--after', '1'])).toEqual(['1', '12']);
    expect(await bashComplete(['add', plan, 'x | m -- d', '--needs', ''])).toEqual(['1', '2', '12']);
    expect(await bashComplete(['add', plan, 'x | m -- d', '--when', 'a'])).toEqual(['always']);
    expect(await bashComplete(['add', plan, 'x | m -- d', '--attr', 'ti'])).toEqual(['timeout=']);
  });

  it('completes open question ids after answer <planspace> --id', async () => {
    const plan = await planspace();
    expect(await bashComplete(['answer', plan, '--id', ''])).toEqual(['q1']);
  });

  it('completes the planspace argument with folders', async () => {
    const plan = await planspace();
    expect(await bashComplete(['status', join(plan, 'questi')])).toEqual([join(plan, 'questions')]);
  });
});

describe('workflow completion zsh and fish', () => {
  it.each(['zsh', 'fish'])('the %s script names every verb the program lists', async (shell) => {
    const help = await runWorkflow(['--help']);
    const verbs = [...help.stdout.slice(help.stdout.indexOf('Commands:')).matchAll(/^ {2}([a-z]+)\b/gm)]
      .map((match) => match[1] ?? '')
      .filter((verb) => verb !== 'help');
    expect(verbs).toContain('completion');
    const script = await runWorkflow(['completion', shell]);
    expect(script.code).toBe(0);
    for (const verb of verbs) expect(script.stdout).toMatch(new RegExp(`[ ']${verb}[ '\n]`));
    expect(script.stdout).toContain('workflow __complete');
  });

  it('refuses another shell, exit 2', async () => {
    expect(await runWorkflow(['completion', 'tcsh'])).toMatchObject({
      code: 2,
      stderr: "completion scripts are for bash, zsh, fish; got 'tcsh'\n",
    });
  });
});
