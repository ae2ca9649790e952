/**
 * The git side of isolation on real repositories: the codespace check, worktrees under the git
 * folder, commits of what an agent left, and merges that never leave the codespace mid-merge.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodespaceRefusedError, parseStatusPaths, readCodespaceRepository } from '../../src/git/codespace.js';
import { git, gitLine } from '../../src/git/git.js';
import { commitWorktree, mergeIntoIntegration, MergeRefusedError, type MergeRequest } from '../../src/git/integrate.js';
import {
  addWorktree,
  listWorktrees,
  parseWorktreeList,
  removeWorktree,
  worktreesFolder,
} from '../../src/git/worktree.js';
import { makeTree } from '../helpers.js';

const ME = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

/** A repository on `main` holding `files` in one commit. */
async function repository(files: Record<string, string> = { 'a.txt': 'a\n' }): Promise<string> {
  const dir = await makeTree(files);
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', 'first'], { env: ME });
  return dir;
}

/** A worktree of `dir` on branch `branch` from `main`, under the git folder. */
async function worktree(dir: string, name: string): Promise<string> {
  const path = join(worktreesFolder({ top: dir, commonDir: join(dir, '.git') }), name);
  await addWorktree(dir, path, `planspace/t/${name}`, 'main');
  return path;
}

function request(dir: string, expected: string, tip: string): MergeRequest {
  return { top: dir, branch: 'refs/heads/main', expected, tip, message: 'merge', env: ME };
}

describe('readCodespaceRepository', () => {
  it('reads the top folder, the prefix of a subfolder, the branch and the head', async () => {
    const dir = await repository({ 'sub/x.txt': 'x\n' });
    const head = await gitLine(dir, ['rev-parse', 'HEAD']);
    const repo = await readCodespaceRepository(join(dir, 'sub'));
    expect(repo).toEqual({
      top: dir,
      prefix: 'sub/',
      commonDir: join(dir, 'sub', '../.git'),
      branch: 'refs/heads/main',
      head,
    });
  });

  it('refuses a changed tracked file, naming it, but not an untracked one nor a change under the planspace', async () => {
    const dir = await repository({ 'a.txt': 'a\n', 'plan/schedule.md': 's\n' });
    await writeFile(join(dir, 'new.txt'), 'new\n');
    await writeFile(join(dir, 'plan/schedule.md'), 'changed by a run\n');
    await expect(readCodespaceRepository(dir, join(dir, 'plan'))).resolves.toMatchObject({ branch: 'refs/heads/main' });
    await writeFile(join(dir, 'a.txt'), 'changed\n');
    const error = await readCodespaceRepository(dir, join(dir, 'plan')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CodespaceRefusedError);
    expect((error as Error).message).toBe(
      `isolation: worktree needs ${dir} to be without uncommitted changes to tracked files (commit or stash them): a.txt`,
    );
  });

  it('refuses a detached HEAD and a repository without a commit', async () => {
    const dir = await repository();
    await git(dir, ['checkout', '-q', '--detach']);
    await expect(readCodespaceRepository(dir)).rejects.toThrow('on a branch (HEAD is detached');
    const empty = await makeTree({});
    await git(empty, ['init', '-q', '-b', 'main']);
    await expect(readCodespaceRepository(empty)).rejects.toThrow('a repository with a commit');
  });

  it('parses porcelain -z paths, renames by their new path', () => {
    expect(parseStatusPaths(' M a.txt\0R  new.txt\0old.txt\0A  b c.txt\0')).toEqual(['a.txt', 'new.txt', 'b c.txt']);
  });
});

describe('worktrees', () => {
  it('are made under the git folder, never untracked files of the codespace, and removed with their branch', async () => {
    const dir = await repository();
    const path = await worktree(dir, 'step-1');
    expect(path).toBe(join(dir, '.git', 'planspace-worktrees', 'step-1'));
    expect(await readFile(join(path, 'a.txt'), 'utf8')).toBe('a\n');
    expect(await gitLine(dir, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    const listed = await listWorktrees(dir);
    expect(listed.map((entry) => [entry.path, entry.branch])).toEqual([
      [dir, 'refs/heads/main'],
      [path, 'refs/heads/planspace/t/step-1'],
    ]);
    await writeFile(join(path, 'left.txt'), 'by the agent\n');
    await removeWorktree(dir, path, 'planspace/t/step-1');
    expect(existsSync(path)).toBe(false);
    expect(await gitLine(dir, ['branch', '--list', 'planspace/*'])).toBe('');
    // Again: both already gone.
    await removeWorktree(dir, path, 'planspace/t/step-1');
  });

  it('parses git worktree list --porcelain -z', () => {
    const text =
      'worktree /r\0HEAD abc\0branch refs/heads/main\0\0worktree /w\0HEAD def\0detached\0locked initializing\0\0';
    expect(parseWorktreeList(text)).toEqual([
      { path: '/r', head: 'abc', branch: 'refs/heads/main', locked: undefined },
      { path: '/w', head: 'def', branch: undefined, locked: 'initializing' },
    ]);
  });
});

describe('commitWorktree and mergeIntoIntegration', () => {
  it('commits what the agent left and merges it with a merge commit the codespace shows', async () => {
    const dir = await repository();
    const base = await gitLine(dir, ['rev-parse', 'HEAD']);
    const path = await worktree(dir, 'step-1');
    await writeFile(join(path, 'b.txt'), 'b\n');
    const tip = await commitWorktree(path, 'step 1', ME);
    expect(await gitLine(path, ['log', '-1', '--format=%s %an'])).toBe('step 1 t');
    const outcome = await mergeIntoIntegration(request(dir, base, tip));
    expect(outcome.kind).toBe('merged');
    expect(await gitLine(dir, ['rev-parse', 'HEAD'])).toBe(outcome.kind === 'merged' ? outcome.head : '');
    expect(await gitLine(dir, ['log', '-1', '--format=%P'])).toBe(`${base} ${tip}`);
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('b\n');
    // Nothing new: up to date, no commit.
    expect(await commitWorktree(path, 'again', ME)).toBe(tip);
    expect((await mergeIntoIntegration(request(dir, await gitLine(dir, ['rev-parse', 'HEAD']), tip))).kind).toBe(
      'up-to-date',
    );
  });

  it('reports a conflict with its paths and leaves the codespace as it was, not mid-merge', async () => {
    const dir = await repository({ 'a.txt': 'a\n', 'z.txt': 'z\n' });
    const base = await gitLine(dir, ['rev-parse', 'HEAD']);
    const one = await worktree(dir, 'one');
    const two = await worktree(dir, 'two');
    await writeFile(join(one, 'a.txt'), 'one\n');
    await writeFile(join(two, 'a.txt'), 'two\n');
    await writeFile(join(two, 'z.txt'), 'two\n');
    const first = await mergeIntoIntegration(request(dir, base, await commitWorktree(one, 'one', ME)));
    const head = first.kind === 'merged' ? first.head : '';
    await writeFile(join(dir, 'untracked.txt'), 'mine\n');
    const second = await mergeIntoIntegration(request(dir, head, await commitWorktree(two, 'two', ME)));
    expect(second).toEqual({ kind: 'conflict', paths: ['a.txt'] });
    expect(await gitLine(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(existsSync(join(dir, '.git', 'MERGE_HEAD'))).toBe(false);
    expect(await gitLine(dir, ['status', '--porcelain'])).toBe('?? untracked.txt');
  });

  it('refuses to merge onto an integration branch moved back outside the engine, and adopts one moved forward', async () => {
    const dir = await repository();
    const base = await gitLine(dir, ['rev-parse', 'HEAD']);
    const path = await worktree(dir, 'step-1');
    await writeFile(join(path, 'b.txt'), 'b\n');
    const tip = await commitWorktree(path, 'step 1', ME);
    // The user commits on top of main meanwhile: adopted.
    await writeFile(join(dir, 'c.txt'), 'c\n');
    await git(dir, ['add', 'c.txt']);
    await git(dir, ['commit', '-q', '-m', 'user'], { env: ME });
    const user = await gitLine(dir, ['rev-parse', 'HEAD']);
    const merged = await mergeIntoIntegration(request(dir, base, tip));
    expect(merged.kind).toBe('merged');
    expect(await gitLine(dir, ['log', '-1', '--format=%P'])).toBe(`${user} ${tip}`);
    // Moved back to the first commit: refused, nothing moved.
    await git(dir, ['update-ref', 'refs/heads/main', base]);
    const error = await mergeIntoIntegration(request(dir, merged.kind === 'merged' ? merged.head : '', tip)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MergeRefusedError);
    expect((error as Error).message).toContain('was moved outside the engine');
    expect(await gitLine(dir, ['rev-parse', 'main'])).toBe(base);
  });

  it('refuses a fast-forward that would overwrite an untracked file of the codespace, which is kept', async () => {
    const dir = await repository();
    const base = await gitLine(dir, ['rev-parse', 'HEAD']);
    const path = await worktree(dir, 'step-1');
    await writeFile(join(path, 'b.txt'), 'agent\n');
    const tip = await commitWorktree(path, 'step 1', ME);
    await writeFile(join(dir, 'b.txt'), 'the user’s own\n');
    await expect(mergeIntoIntegration(request(dir, base, tip))).rejects.toThrow(MergeRefusedError);
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('the user’s own\n');
    expect(await gitLine(dir, ['rev-parse', 'HEAD'])).toBe(base);
  });
});
