/**
 * Refs that hold commits nobody has a branch for: the candidates a round did not merge
 * (`refs/planspace/<run id>/step-N/candidate-k`), kept so that a person can `git diff` them
 * after their worktrees and branches are gone.
 */
import { git, gitLine } from './git.js';

/**
 * Points `ref` (a full name, `refs/...`) at `commit`, making it if needed.
 *
 * @throws {GitError} when git refuses (a bad name, an unknown commit).
 */
export async function setRef(top: string, ref: string, commit: string): Promise<void> {
  await git(top, ['update-ref', ref, commit]);
}

/**
 * The commit `ref` points at, or undefined when there is no such ref.
 *
 * @throws {GitError} when git fails otherwise.
 */
export async function refCommit(top: string, ref: string): Promise<string | undefined> {
  const commit = await gitLine(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { allowExitCodes: [1] });
  return commit === '' ? undefined : commit;
}

/**
 * True when `commit` is `head` or one of its ancestors (`git merge-base --is-ancestor`).
 *
 * @throws {GitError} when git fails (an unknown commit).
 */
export async function isAncestor(top: string, commit: string, head: string): Promise<boolean> {
  return (await git(top, ['merge-base', '--is-ancestor', commit, head], { allowExitCodes: [1] })).exitCode === 0;
}
