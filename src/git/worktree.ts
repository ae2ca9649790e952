/**
 * Worktrees of isolated units: made on a branch of their own from a given commit, removed with
 * their branch, listed. Every call is one or two `git` commands through `git.ts`. Git does not
 * make or remove worktrees of one repository safely in parallel (a `worktree add` reads the
 * administrative folders of the others, and fails on one half made: "failed to read
 * .git/worktrees/x/commondir"): callers make these calls one at a time per repository.
 *
 * Where they live by default: `<common git folder>/planspace-worktrees/<name>`
 * (`.git/planspace-worktrees/` of an ordinary repository). Inside the git folder, a worktree is
 * never an untracked file of the codespace, whether the planspace lies inside the codespace or
 * elsewhere, and it stays on the repository's disk, as lasting as the repository. A run may
 * name another folder (`workflow run --worktrees`, `worktreesFolder`): any folder outside the
 * repository's working tree.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { git, GitError } from './git.js';

/** The folder under the common git folder that holds every worktree planspace makes. */
export const WORKTREES_FOLDER = 'planspace-worktrees';

/** True when `path` is `folder` or lies under it (both absolute). */
function within(path: string, folder: string): boolean {
  const rest = relative(folder, path);
  return rest === '' || (!rest.startsWith('..') && !isAbsolute(rest));
}

/**
 * The folder a run makes its worktrees in: `given` (resolved from the current folder), or by
 * default `<commonDir>/planspace-worktrees`. Reads nothing; the folder need not exist yet.
 *
 * @param repository - `top` (the working tree's top folder) and `commonDir` (its git folder),
 *   absolute, as `readCodespaceRepository` gives them.
 * @param given - `--worktrees`: default none.
 * @throws {UsageError} when `given` lies in the working tree outside its git folder: every
 *   worktree would be an untracked folder of the codespace, in each other worktree's `git
 *   status` and in any `git add -A` an agent runs.
 */
export function worktreesFolder(
  repository: { readonly top: string; readonly commonDir: string },
  given?: string,
): string {
  if (given === undefined) return join(repository.commonDir, WORKTREES_FOLDER);
  const folder = resolve(given);
  if (within(folder, repository.top) && !within(folder, repository.commonDir)) {
    throw new UsageError(
      `--worktrees ${folder} lies inside the codespace's repository ${repository.top}: each worktree would be an untracked folder of it; give a folder outside it`,
    );
  }
  return folder;
}

/**
 * Makes a worktree at `path` on a new branch `branch` (a short name such as
 * `planspace/r1/step-3-a`) pointing at `base`.
 *
 * @param top - any folder of the repository (its top folder).
 * @throws {GitError} when the branch exists already, `path` is taken, or `base` is no commit.
 */
export async function addWorktree(top: string, path: string, branch: string, base: string): Promise<void> {
  await git(top, ['worktree', 'add', '--quiet', '-b', branch, path, base]);
}

/**
 * Removes the worktree at `path` (with whatever the agent left in it, and any lock a killed
 * `worktree add` left) and deletes `branch`; either may already be gone.
 *
 * @throws {GitError} for failures other than "not a worktree" and "branch not found".
 */
export async function removeWorktree(top: string, path: string, branch: string | undefined): Promise<void> {
  try {
    // Twice --force: also a worktree that is locked ("initializing" from a killed `worktree add`).
    await git(top, ['worktree', 'remove', '--force', '--force', path]);
  } catch (error) {
    if (!(error instanceof GitError) || !/is not a working tree|No such file/.test(error.stderr)) throw error;
    // What a removal that was itself killed, or a folder moved by hand, leaves in .git/worktrees.
    await git(top, ['worktree', 'prune']);
  }
  if (branch !== undefined) {
    await git(top, ['branch', '-D', '--quiet', branch], { allowExitCodes: [1] });
  }
}

/**
 * Forgets the worktrees whose folders are gone (`git worktree prune`: their administrative
 * folders under `.git/worktrees/` go) and deletes `branches`, each of which may be gone already:
 * the git half of removing many worktrees at once, by two commands rather than two each.
 *
 * @throws {GitError} when git fails other than by a branch not found.
 */
export async function forgetWorktrees(top: string, branches: readonly string[]): Promise<void> {
  await git(top, ['worktree', 'prune']);
  if (branches.length > 0) await git(top, ['branch', '-D', '--quiet', ...branches], { allowExitCodes: [1] });
}

/** One worktree of the repository, as `git worktree list --porcelain` gives it. */
export interface WorktreeEntry {
  readonly path: string;
  /** Its commit; undefined for a worktree still being made. */
  readonly head: string | undefined;
  /** The branch checked out there (`refs/heads/...`); undefined when detached. */
  readonly branch: string | undefined;
  /** The reason given when it is locked, `''` for a lock without one; undefined when not locked. */
  readonly locked: string | undefined;
}

/** Parses `git worktree list --porcelain -z` output: NUL-ended lines, blank between entries. */
export function parseWorktreeList(text: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: { path?: string; head?: string; branch?: string; locked?: string } = {};
  const flush = (): void => {
    if (current.path !== undefined) {
      entries.push({ path: current.path, head: current.head, branch: current.branch, locked: current.locked });
    }
    current = {};
  };
  for (const line of text.split('\0')) {
    if (line === '') {
      flush();
      continue;
    }
    const space = line.indexOf(' ');
    const key = space === -1 ? line : line.slice(0, space);
    const value = space === -1 ? '' : line.slice(space + 1);
    if (key === 'worktree') current.path = value;
    else if (key === 'HEAD') current.head = value;
    else if (key === 'branch') current.branch = value;
    else if (key === 'locked') current.locked = value;
  }
  flush();
  return entries;
}

/** Every worktree of the repository that `top` belongs to, the main one first. */
export async function listWorktrees(top: string): Promise<WorktreeEntry[]> {
  const { stdout } = await git(top, ['worktree', 'list', '--porcelain', '-z']);
  return parseWorktreeList(stdout);
}
