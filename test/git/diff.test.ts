/**
 * What a candidate changed, on a real repository: added, removed, modified, binary and renamed
 * files, counted (`diffSize`), summarised (`diffStat`) and as a patch (`diffPatch`).
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffPatch, diffSize, diffStat } from '../../src/git/diff.js';
import { git, GitError, gitLine } from '../../src/git/git.js';
import { makeTree } from '../helpers.js';

const ME = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

/** Commits everything in `dir` and returns the commit. */
async function commitAll(dir: string, message: string): Promise<string> {
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', message], { env: ME });
  return gitLine(dir, ['rev-parse', 'HEAD']);
}

/** Ten numbered lines, so that a rename with a small change is still found as a rename. */
const TEN = Array.from({ length: 10 }, (_, i) => `line ${i + 1}\n`).join('');

/**
 * A repository whose second commit adds `new.txt` (3 lines), removes `gone.txt` (2 lines),
 * changes one line of `edit.txt`, adds a binary `image.bin` and renames `old-name.txt` to
 * `new-name.txt` unchanged.
 */
async function repository(): Promise<{ dir: string; base: string; head: string }> {
  const dir = await makeTree({ 'gone.txt': 'a\nb\n', 'edit.txt': 'one\ntwo\n', 'old-name.txt': TEN });
  await git(dir, ['init', '-q', '-b', 'main']);
  const base = await commitAll(dir, 'base');
  await writeFile(join(dir, 'new.txt'), 'x\ny\nz\n');
  await rm(join(dir, 'gone.txt'));
  await writeFile(join(dir, 'edit.txt'), 'one\nTWO\n');
  await writeFile(join(dir, 'image.bin'), Buffer.from([0, 1, 2, 0, 255, 0, 3]));
  await git(dir, ['mv', 'old-name.txt', 'new-name.txt']);
  const head = await commitAll(dir, 'candidate');
  return { dir, base, head };
}

describe('git diff of a candidate', () => {
  it('diffSize counts files and lines: a binary file counts none, a rename as a removal and an addition', async () => {
    const { dir, base, head } = await repository();
    // new.txt +3, gone.txt -2, edit.txt +1 -1, image.bin 0, old-name.txt -10, new-name.txt +10.
    expect(await diffSize(dir, base, head)).toEqual({ filesChanged: 6, added: 14, removed: 13 });
    expect(await diffSize(dir, base, base)).toEqual({ filesChanged: 0, added: 0, removed: 0 });
  });

  it('diffStat names every file and ends with the summary line', async () => {
    const { dir, base, head } = await repository();
    const stat = await diffStat(dir, base, head);
    for (const file of ['new.txt', 'gone.txt', 'edit.txt', 'image.bin']) expect(stat).toContain(file);
    expect(stat).toMatch(/image\.bin +\| Bin 0 -> 7 bytes/);
    expect(stat).toMatch(/old-name\.txt => new-name\.txt/);
    // --stat finds the rename (one file), where diffSize (--no-renames) counts two.
    expect(stat.trimEnd().split('\n').at(-1)).toMatch(/^ 5 files changed, 4 insertions\(\+\), 3 deletions\(-\)$/);
    expect(await diffStat(dir, base, base)).toBe('');
  });

  it('diffPatch holds the lines, names a binary file only, and has no colour', async () => {
    const { dir, base, head } = await repository();
    const patch = await diffPatch(dir, base, head);
    expect(patch).toContain('diff --git a/new.txt b/new.txt\nnew file mode 100644');
    expect(patch).toContain('+x\n+y\n+z\n');
    expect(patch).toContain('deleted file mode 100644');
    expect(patch).toContain('-a\n-b\n');
    expect(patch).toContain(' one\n-two\n+TWO\n');
    expect(patch).toContain('Binary files /dev/null and b/image.bin differ');
    expect(patch).toContain('rename from old-name.txt\nrename to new-name.txt');
    expect(patch).not.toContain('\u001b[');
    expect(await diffPatch(dir, base, base)).toBe('');
  });

  it('throws GitError for an unknown commit', async () => {
    const { dir, base } = await repository();
    await expect(diffSize(dir, base, 'no-such-ref')).rejects.toBeInstanceOf(GitError);
    await expect(diffPatch(dir, 'no-such-ref', base)).rejects.toBeInstanceOf(GitError);
  });
});
