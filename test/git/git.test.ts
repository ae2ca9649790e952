import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, GitError, gitLine } from '../../src/git/git.js';

async function repository(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'planspace-git-'));
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'first']);
  return dir;
}

describe('git', () => {
  it('runs git in the folder and returns its output', async () => {
    const dir = await repository();
    await writeFile(join(dir, 'a.txt'), 'a\n');
    expect(await gitLine(dir, ['status', '--porcelain'])).toBe('?? a.txt');
    expect(await gitLine(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main');
  });

  it('throws a GitError naming the command and git’s message when git fails', async () => {
    const dir = await repository();
    const error = await git(dir, ['checkout', 'no-such-branch']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).code).toBe('E_GIT');
    expect((error as GitError).exitCode).toBe(1);
    expect((error as GitError).message).toContain('git checkout no-such-branch');
    expect((error as GitError).message).toContain("pathspec 'no-such-branch' did not match");
  });

  it('returns an allowed exit code as an answer', async () => {
    const dir = await repository();
    await writeFile(join(dir, 'a.txt'), 'a\n');
    await git(dir, ['add', 'a.txt']);
    const result = await git(dir, ['diff', '--cached', '--quiet'], { allowExitCodes: [1] });
    expect(result.exitCode).toBe(1);
  });

  it('passes standard input', async () => {
    const dir = await repository();
    expect(await gitLine(dir, ['hash-object', '--stdin'], { input: 'x\n' })).toBe(
      '587be6b4c3f93f93c489c0111bba5596147a26cb',
    );
  });
});
