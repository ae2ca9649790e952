/**
 * Bringing a unit's work into the integration branch: commit what its agent left in its
 * worktree, then merge the worktree's commit into the integration branch.
 *
 * The merge is computed away from the codespace (`git merge-tree --write-tree`, then
 * `commit-tree`), and only a finished merge commit reaches the codespace, by a fast-forward
 * (`git merge --ff-only`). So the codespace is never mid-merge: a conflict, or an engine killed
 * at any moment, leaves it at the old head or at the new one, never with `MERGE_HEAD` or
 * conflict markers; and its untracked and uncommitted files are kept as `git merge` keeps them
 * (a fast-forward that would overwrite one is refused, and the merge fails saying so).
 */
import { PlanspaceError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { git, gitLine, GitError } from './git.js';

/** Who commits: the user's git identity when configured, else this one (decided once per run). */
export const PLANSPACE_IDENTITY = { name: 'planspace', email: 'planspace@localhost' } as const;

/**
 * The environment for the engine's commits: empty when the repository's configuration names the
 * user (their name stays on their project's history), else `planspace <planspace@localhost>`
 * as author and committer, so that a machine without `user.name` does not fail every merge.
 */
export async function commitIdentity(top: string): Promise<Record<string, string>> {
  const name = await gitLine(top, ['config', 'user.name'], { allowExitCodes: [1] });
  const email = await gitLine(top, ['config', 'user.email'], { allowExitCodes: [1] });
  if (name !== '' && email !== '') return {};
  return {
    GIT_AUTHOR_NAME: name || PLANSPACE_IDENTITY.name,
    GIT_AUTHOR_EMAIL: email || PLANSPACE_IDENTITY.email,
    GIT_COMMITTER_NAME: name || PLANSPACE_IDENTITY.name,
    GIT_COMMITTER_EMAIL: email || PLANSPACE_IDENTITY.email,
  };
}

/**
 * Commits everything the agent left uncommitted in its worktree (`git add -A`: new, changed
 * and removed files, as `.gitignore` allows), on whatever branch or detached commit the agent
 * left the worktree at.
 *
 * @returns the worktree's `HEAD` afterwards: the new commit, or the agent's own last commit
 *   when nothing was left uncommitted.
 * @throws {GitError} when git fails (a worktree removed under the engine).
 */
export async function commitWorktree(
  worktree: string,
  message: string,
  env: Readonly<Record<string, string>>,
): Promise<string> {
  await git(worktree, ['add', '-A']);
  const staged = await git(worktree, ['diff', '--cached', '--quiet'], { allowExitCodes: [1] });
  // --no-verify: the user's hooks are for the user's commits; a hook that fails would fail a
  // unit whose agent succeeded. The run's own check is `verify:`.
  if (staged.exitCode === 1) await git(worktree, ['commit', '--quiet', '--no-verify', '-m', message], { env });
  faultPoint('isolation-after-commit');
  return gitLine(worktree, ['rev-parse', 'HEAD']);
}

/** How a merge into the integration branch ended. */
export type MergeOutcome =
  /** The integration branch moved to `head`, a merge commit (or `tip` itself, fast-forwarded). */
  | { readonly kind: 'merged'; readonly head: string }
  /** `tip` was in the integration branch already (the agent changed nothing). */
  | { readonly kind: 'up-to-date'; readonly head: string }
  /** The changes conflict in `paths`; nothing changed. */
  | { readonly kind: 'conflict'; readonly paths: readonly string[] };

/** A merge could not be made for a reason other than a conflict; nothing was changed. */
export class MergeRefusedError extends PlanspaceError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_MERGE', message, options);
  }
}

/** What `mergeIntoIntegration` needs. */
export interface MergeRequest {
  /** The codespace repository's top folder, where the integration branch is checked out. */
  readonly top: string;
  /** The integration branch, e.g. `refs/heads/main`. */
  readonly branch: string;
  /** The commit the engine last left the integration branch at. */
  readonly expected: string;
  /** The commit to merge: the unit's worktree `HEAD`. */
  readonly tip: string;
  readonly message: string;
  /** The committer environment (see `commitIdentity`). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Where the integration branch stands, checked against what the engine left it at: still
 * there, or moved forward by commits made on top of it (the user's, say), which the engine
 * adopts.
 *
 * @throws {MergeRefusedError} when the codespace no longer has the branch checked out, or the
 *   branch was moved to a commit that does not contain `expected` (a `git reset`, `git branch
 *   -f` or `git update-ref` by someone else): the engine will not merge onto history it did not
 *   see, nor put the branch back over someone's move.
 */
async function integrationHead(request: MergeRequest): Promise<string> {
  const { top, branch, expected } = request;
  const checkedOut = await gitLine(top, ['symbolic-ref', '-q', 'HEAD'], { allowExitCodes: [1] });
  if (checkedOut !== branch) {
    const now = checkedOut === '' ? 'a detached HEAD' : checkedOut.replace(/^refs\/heads\//, '');
    throw new MergeRefusedError(
      `the codespace no longer has the integration branch ${short(branch)} checked out (it has ${now}); not merged`,
    );
  }
  const current = await gitLine(top, ['rev-parse', '--verify', `${branch}^{commit}`]);
  if (current === expected) return current;
  const ancestor = await git(top, ['merge-base', '--is-ancestor', expected, current], { allowExitCodes: [1] });
  if (ancestor.exitCode === 0) return current;
  throw new MergeRefusedError(
    `the integration branch ${short(branch)} was moved outside the engine, from ${expected.slice(0, 12)} to ` +
      `${current.slice(0, 12)}, which does not contain it; not merged (move it back, or start a new run)`,
  );
}

/** `main` for `refs/heads/main`. */
function short(branch: string): string {
  return branch.replace(/^refs\/heads\//, '');
}

/**
 * Merges `tip` into the integration branch checked out in the codespace (see the module
 * comment): a merge commit with the integration head as first parent, then a fast-forward of
 * the codespace to it. Call one at a time per repository.
 *
 * @returns the outcome: merged (with the new head), up to date, or a conflict naming the paths.
 * @throws {MergeRefusedError} when the integration branch was moved or switched away from (see
 *   `integrationHead`), or the fast-forward of the codespace is refused (an untracked or changed
 *   file of the codespace would be overwritten), naming git's reason; nothing changed.
 * @throws {GitError} when git fails otherwise.
 */
export async function mergeIntoIntegration(request: MergeRequest): Promise<MergeOutcome> {
  const { top, tip, env } = request;
  const head = await integrationHead(request);
  const contained = await git(top, ['merge-base', '--is-ancestor', tip, head], { allowExitCodes: [1] });
  if (contained.exitCode === 0) return { kind: 'up-to-date', head };
  const merged = await git(top, ['merge-tree', '--write-tree', '--name-only', '--no-messages', head, tip], {
    allowExitCodes: [1],
  });
  const [tree = '', ...conflicted] = merged.stdout.split('\n').filter((line) => line !== '');
  if (merged.exitCode === 1) return { kind: 'conflict', paths: [...new Set(conflicted)] };
  const commit = await gitLine(top, ['commit-tree', tree, '-p', head, '-p', tip, '-m', request.message], { env });
  faultPoint('isolation-before-merge');
  try {
    await git(top, ['merge', '--ff-only', '--quiet', '--no-verify', commit], { env });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const reason = error.stderr.trim().split('\n').slice(0, 6).join(' / ');
    throw new MergeRefusedError(`the codespace could not be moved to the merge: ${reason}; not merged`, {
      cause: error,
    });
  }
  faultPoint('isolation-after-merge');
  return { kind: 'merged', head: commit };
}
