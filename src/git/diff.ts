/**
 * What a commit changed against another: the numbers (`git diff --numstat`), the summary
 * (`--stat`) and the patch, for comparing candidates (`src/candidates/`).
 */
import { git } from './git.js';

/** The size of a diff. */
export interface DiffSize {
  /** Files changed (added, removed, modified or renamed). */
  readonly filesChanged: number;
  /** Lines added and removed; a binary file counts 0 of each. */
  readonly added: number;
  readonly removed: number;
}

/**
 * The size of the diff from `base` to `head` (commits or refs) in the repository at `cwd`.
 *
 * @throws {GitError} when git fails (an unknown commit).
 */
export async function diffSize(cwd: string, base: string, head: string): Promise<DiffSize> {
  const { stdout } = await git(cwd, ['diff', '--numstat', '-z', '--no-renames', base, head, '--']);
  let filesChanged = 0;
  let added = 0;
  let removed = 0;
  // -z: `<added>\t<removed>\t<path>\0` per file, `-` for a binary file's counts.
  for (const entry of stdout.split('\0')) {
    const match = /^(\d+|-)\t(\d+|-)\t/.exec(entry);
    if (!match) continue;
    filesChanged += 1;
    added += match[1] === '-' ? 0 : Number(match[1]);
    removed += match[2] === '-' ? 0 : Number(match[2]);
  }
  return { filesChanged, added, removed };
}

/**
 * `git diff --stat` from `base` to `head`: one line per file and a summary line.
 *
 * @throws {GitError} when git fails.
 */
export async function diffStat(cwd: string, base: string, head: string): Promise<string> {
  return (await git(cwd, ['diff', '--stat=120', '--no-color', base, head, '--'])).stdout;
}

/**
 * The patch from `base` to `head` (`git diff`, no colour, binary files named only).
 *
 * @throws {GitError} when git fails.
 */
export async function diffPatch(cwd: string, base: string, head: string): Promise<string> {
  return (await git(cwd, ['diff', '--no-color', '--no-ext-diff', base, head, '--'])).stdout;
}
