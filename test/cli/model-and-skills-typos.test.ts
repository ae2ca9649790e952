/**
 * Typos a new user makes in the sources of a run, named by `workflow check` (and `run`, which
 * does the same preflight): a model-file key (`comand`) with the key it meant, and a skills
 * folder that is not there.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTree, runWorkflow } from '../helpers.js';

describe('workflow check names typos in its sources', () => {
  it("names a mistyped model-file key and the key it meant: 'comand'", async () => {
    const root = await makeTree({
      'plan/schedule.md': '[wait] 1. a | coder -- d\n',
      'models/coder.toml': 'comand = "node"\nargs = []\n',
      'skills/x.md': '# x\n',
    });
    const result = await runWorkflow(['check', join(root, 'plan'), '--models', join(root, 'models')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      `${join(root, 'models', 'coder.toml')}: unknown key 'comand' (did you mean 'command'?)`,
    );
  });

  it('says a --skills folder does not exist, once, instead of a missing file per ref', async () => {
    const root = await makeTree({
      'plan/schedule.md': '[wait] 1. a | coder -- d (implement.md Stage 1)\n[wait] 2. b | coder -- d (implement.md)\n',
      'models/coder.toml': 'command = "node"\n',
    });
    const missing = join(root, 'missing');
    const result = await runWorkflow([
      'check',
      join(root, 'plan'),
      '--models',
      join(root, 'models'),
      '--skills',
      missing,
    ]);
    expect(result.code).toBe(2);
    const lines = result.stdout.split('\n');
    expect(lines).toContain(`skills: ${missing} (--skills) does not exist or is not a folder`);
    expect(lines.filter((line) => line.includes('implement.md'))).toEqual([]);
  });
});
