/**
 * The codespace as a git repository, as a run that isolates its units needs it: a repository
 * with a commit, a branch checked out (the integration branch) and no uncommitted changes to
 * tracked files. Read with the `git` CLI through `git.ts`; nothing here writes.
 */
import { isAbsolute, join, relative } from 'node:path';
import { PlanspaceError } from '../errors.js';
import { git, gitLine, GitError } from './git.js';

/** What a run needs to know of the codespace's repository, read once at its start. */
export interface CodespaceRepository {
  /** The repository's top folder (`git rev-parse --show-toplevel`), absolute. */
  readonly top: string;
  /**
   * Where the codespace lies under `top`, `''` when it is the top, else ending in `/`
   * (`git rev-parse --show-prefix`): a unit's agent works in the same subfolder of its worktree.
   */
  readonly prefix: string;
  /** The repository's common git folder (`.git` of the main worktree), absolute. */
  readonly commonDir: string;
  /** The integration branch: the branch the codespace has checked out, e.g. `refs/heads/main`. */
  readonly branch: string;
  /** The integration branch's commit when read. */
  readonly head: string;
}

/** The codespace cannot host isolated units: each problem names what to fix. Exit 2. */
export class CodespaceRefusedError extends PlanspaceError {
  readonly problems: readonly string[];

  /** @param options.needs - what needs the repository: default `isolation: worktree`. */
  constructor(codespace: string, problems: readonly string[], options?: ErrorOptions & { readonly needs?: string }) {
    super(
      'E_CODESPACE',
      `${options?.needs ?? 'isolation: worktree'} needs ${codespace} to be ${problems.join('; ')}`,
      options,
    );
    this.problems = problems;
  }
}

/** The paths `git status --porcelain=v1 -z` lists (the new path of a rename; its old one is dropped). */
export function parseStatusPaths(porcelainZ: string): string[] {
  const fields = porcelainZ.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i += 1) {
    const field = fields[i] ?? '';
    if (field.length < 4) continue;
    paths.push(field.slice(3));
    // A rename or copy is followed by its source path, in a field of its own.
    if (field[0] === 'R' || field[0] === 'C') i += 1;
  }
  return paths;
}

/**
 * Reads the codespace's repository and checks that a run may isolate its units in it.
 *
 * @param exclude - an absolute folder whose changes do not count (the planspace, when it lies
 *   in the codespace and is tracked there: the run itself rewrites its schedule).
 * @param needs - what needs it, for the error: default `isolation: worktree` (`candidates:`).
 * @throws {CodespaceRefusedError} when the codespace is not in a git repository, the repository
 *   has no commit, no branch is checked out (detached HEAD), or tracked files have uncommitted
 *   changes (naming up to 10 of them). Untracked files are allowed: the run never touches them.
 * @throws {GitError} when git fails otherwise (not installed).
 */
export async function readCodespaceRepository(
  codespace: string,
  exclude?: string,
  needs?: string,
): Promise<CodespaceRepository> {
  let top: string;
  let prefix: string;
  let commonDir: string;
  try {
    [top, prefix, commonDir] = (
      await gitLine(codespace, ['rev-parse', '--show-toplevel', '--show-prefix', '--git-common-dir'])
    ).split('\n') as [string, string, string];
  } catch (error) {
    if (error instanceof GitError && error.exitCode !== undefined) {
      throw new CodespaceRefusedError(codespace, ['a git repository (git init, then commit)'], { cause: error, needs });
    }
    throw error;
  }
  commonDir = isAbsolute(commonDir) ? commonDir : join(codespace, commonDir);
  const problems: string[] = [];
  const branch = await gitLine(top, ['symbolic-ref', '-q', 'HEAD'], { allowExitCodes: [1] });
  if (branch === '') problems.push('on a branch (HEAD is detached; git switch <branch>)');
  const head = await gitLine(top, ['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { allowExitCodes: [1] });
  if (head === '') problems.push('a repository with a commit (it has none yet)');
  const pathspec = ['.'];
  const excluded = exclude === undefined ? '' : relative(top, exclude);
  if (excluded !== '' && !excluded.startsWith('..') && !isAbsolute(excluded)) pathspec.push(`:(exclude)${excluded}`);
  const status = await git(top, ['status', '--porcelain=v1', '-z', '--untracked-files=no', '--', ...pathspec]);
  const dirty = parseStatusPaths(status.stdout);
  if (dirty.length > 0) {
    const named = dirty.slice(0, 10).join(', ') + (dirty.length > 10 ? ` and ${dirty.length - 10} more` : '');
    problems.push(`without uncommitted changes to tracked files (commit or stash them): ${named}`);
  }
  if (problems.length > 0) throw new CodespaceRefusedError(codespace, problems, { needs });
  return { top, prefix, commonDir, branch, head };
}
