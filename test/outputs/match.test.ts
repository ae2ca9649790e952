/**
 * Finding and hashing declared outputs on real files: folders walked, globs expanded, links
 * not followed, `.git` left out; a FIFO is never read (no hang). And `workflow artifacts` on a
 * record edited into nonsense: a clear error, exit 2.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestFile, matchOutputs } from '../../src/outputs/match.js';
import { makePlanspace, makeTree, runWorkflow } from '../helpers.js';

describe('matchOutputs', () => {
  it('walks folders, expands globs, skips links and .git, and names what matched nothing', async () => {
    const tree = await makeTree({
      'dist/app.js': 'a',
      'dist/maps/app.js.map': 'm',
      'dist/.hidden': 'h',
      'docs/a.md': '#',
      '.git/config': 'x',
      'outside.txt': 'o',
    });
    await mkdir(join(tree, 'empty'));
    await symlink(join(tree, 'outside.txt'), join(tree, 'docs/link.md'));
    await symlink(join(tree, 'dist'), join(tree, 'linked-dist'));
    const match = await matchOutputs(tree, [
      'dist',
      'docs/*.md',
      'empty',
      'nothing/*.txt',
      'linked-dist',
      'docs/link.md',
      '**/config',
    ]);
    expect(match.files).toEqual(['dist/.hidden', 'dist/app.js', 'dist/maps/app.js.map', 'docs/a.md']);
    expect(match.missing).toEqual(['empty', 'nothing/*.txt', 'linked-dist', 'docs/link.md', '**/config']);
  });

  it('digestFile: size and sha256 of a regular file; undefined for none, a link, a FIFO', async () => {
    const tree = await makeTree({ 'a.bin': 'hello\n' });
    expect(await digestFile(join(tree, 'a.bin'))).toEqual({
      bytes: 6,
      sha256: createHash('sha256').update('hello\n').digest('hex'),
    });
    expect(await digestFile(join(tree, 'none'))).toBeUndefined();
    await symlink(join(tree, 'a.bin'), join(tree, 'link'));
    expect(await digestFile(join(tree, 'link'))).toBeUndefined();
    execFileSync('mkfifo', [join(tree, 'fifo')]);
    expect(await digestFile(join(tree, 'fifo'))).toBeUndefined();
  });
});

describe('workflow artifacts', () => {
  it('a record that is not a list of outputs: the file named, exit 2', async () => {
    const plan = await makePlanspace('[wait] 1. a | m -- d\n');
    await mkdir(join(plan, 'artifacts'));
    const file = join(plan, 'artifacts', 'step-1-outputs.json');
    await writeFile(file, JSON.stringify([{ path: '../etc/passwd', bytes: 1 }]));
    const result = await runWorkflow(['artifacts', plan]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain(`${file}: expected outputs as written by the engine`);
    await writeFile(file, '{');
    expect(await runWorkflow(['artifacts', plan, '--verify'])).toMatchObject({
      code: 2,
      stderr: `${file}: not JSON\n`,
    });
  });

  it('refuses a step number that is not one, exit 2', async () => {
    const plan = await makePlanspace('[wait] 1. a | m -- d\n');
    const result = await runWorkflow(['artifacts', plan, 'x']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain("step number must be a positive whole number, got 'x'");
  });
});
