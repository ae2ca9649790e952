/**
 * `isolation: worktree` for one run: each attempt of a unit (a step, or one block of it) runs
 * in a git worktree of its own, made from the integration head at dispatch, and its work is
 * merged into the integration branch (the branch the codespace has checked out) when it
 * succeeds: one merge at a time, in the order units finish.
 *
 * Branches: `planspace/<run id>/step-N[-X]`, with `-attempt-K` after it from the unit's second
 * attempt on (K counts the unit's attempts over the planspace's life, as its artifact files do):
 * a failed attempt's worktree and branch are kept for a look, so the next one needs its own.
 *
 * The engine keeps the integration head it last left the branch at, and makes each worktree
 * from that head, not from whatever the branch says now: an agent that moves refs from its
 * worktree (`git reset --hard`, `git checkout -B`) moves only its own branch; one that moves the
 * integration branch by plumbing (`git update-ref`) is found out at the next merge, which is
 * refused (`MergeRefusedError`) rather than made onto history the engine did not see.
 *
 * Each worktree is recorded in the planspace (`planspace/worktree-records.ts`) before it is
 * made and at each change of state, so a run taking over from a dead engine can finish or undo
 * what it left (`recover.ts`).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { faultPoint } from '../fault.js';
import type { CodespaceRepository } from '../git/codespace.js';
import { commitIdentity, commitWorktree, mergeIntoIntegration, MergeRefusedError } from '../git/integrate.js';
import { FOLDER_MODE } from '../fs/guard.js';
import { removeFolders } from '../fs/remove-folders.js';
import { addWorktree, forgetWorktrees, removeWorktree, worktreesFolder } from '../git/worktree.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import {
  removeWorktreeRecord,
  writeWorktreeRecord,
  type WorktreeRecord,
  type WorktreeState,
} from '../planspace/worktree-records.js';
import type { Unit } from './context.js';

/** `isolation:` of a step, or `--isolation` of a run. */
export type IsolationMode = 'worktree' | 'none';

/** A unit's worktree while its attempt runs. */
export interface UnitWorktree {
  readonly record: WorktreeRecord;
  /** The agent's working folder: the worktree, or the codespace's subfolder in it. */
  readonly cwd: string;
}

/** `step-N`, `step-N-X` or `step-N-candidate-k`: a unit's part of its branch and worktree names. */
export function unitBranchPart(unit: Unit): string {
  if (unit.candidate !== undefined) return `step-${unit.step.number}-candidate-${unit.candidate}`;
  return unit.block === undefined ? `step-${unit.step.number}` : `step-${unit.step.number}-${unit.block}`;
}

/** What a unit's commit and merge messages say of it. */
export interface UnitCommitLabel {
  readonly unit: Unit;
  readonly attempt: number;
  readonly model: string;
}

/** The commit message of a unit's work: names step, block or candidate, attempt and model. */
export function unitCommitMessage({ unit, attempt, model }: UnitCommitLabel): string {
  const block =
    unit.candidate !== undefined
      ? ` candidate ${unit.candidate}`
      : unit.block === undefined
        ? ''
        : ` block ${unit.block}`;
  return `planspace: step ${unit.step.number} (${unit.step.name})${block}, attempt ${attempt}, by ${model}`;
}

/** The isolation of one run (see the module comment). */
export class Isolation {
  readonly repository: CodespaceRepository;
  /**
   * The conflicting paths of each unit's last failed merge, by `unitBranchPart`, for its next
   * attempt's prompt.
   */
  readonly conflicts = new Map<string, readonly string[]>();
  /**
   * Units (by `unitBranchPart`) whose work a dead engine merged before it could record them
   * done (`recover.ts`): the resumed step counts them done without running them again.
   */
  readonly recognised: Set<string>;
  readonly #paths: PlanspacePaths;
  readonly #runId: string;
  readonly #identity: Readonly<Record<string, string>>;
  /** Where the worktrees are made, each as `<folder>/<run id>-<unit>` (see `worktreesFolder`). */
  readonly #folder: string;
  /** The commit the engine last left the integration branch at. */
  #head: string;
  /**
   * Worktree additions and removals and merges, one after another: git does not make or remove
   * worktrees of one repository safely in parallel (see `git/worktree.ts`), and merges must see
   * each other's result. Commits, in each unit's own worktree, run outside it.
   */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    paths: PlanspacePaths,
    repository: CodespaceRepository,
    runId: string,
    identity: Readonly<Record<string, string>>,
    recognised: Set<string>,
    folder: string,
  ) {
    this.#paths = paths;
    this.#folder = folder;
    this.recognised = recognised;
    this.repository = repository;
    this.#runId = runId;
    this.#identity = identity;
    this.#head = repository.head;
  }

  /**
   * The isolation of run `runId` in `repository` (as `readCodespaceRepository` read it at the
   * start), committing as the user's git identity or as planspace (`commitIdentity`).
   *
   * @param recognised - units whose merge a dead engine finished (see `recognised`).
   * @param folder - where to make the worktrees (see `worktreesFolder`), made (0700) if
   *   missing. Default: `<commonDir>/planspace-worktrees`.
   * @throws the `fs` errors of making `folder`.
   */
  static async open(
    paths: PlanspacePaths,
    repository: CodespaceRepository,
    runId: string,
    recognised: Set<string> = new Set(),
    folder: string = worktreesFolder(repository),
  ): Promise<Isolation> {
    await mkdir(folder, { recursive: true, mode: FOLDER_MODE });
    return new Isolation(paths, repository, runId, await commitIdentity(repository.top), recognised, folder);
  }

  /** The commit the engine last left the integration branch at. */
  get head(): string {
    return this.#head;
  }

  /**
   * Makes the worktree of attempt `attempt` of `unit`, on its own branch from `base` (default:
   * the integration head; a round of candidates gives all its candidates the head it started
   * at), recorded `creating` before and `running` after.
   *
   * @throws {GitError} when git cannot make it (the record then says `failed`).
   */
  async create(unit: Unit, attempt: number, base: string = this.#head): Promise<UnitWorktree> {
    const tree = await this.createUnlessStopped(unit, attempt, base);
    if (tree === undefined) throw new Error('unreachable: a worktree with no stop signal was skipped');
    return tree;
  }

  /**
   * `create`, unless `stop` is aborted when the worktree's turn in git's queue comes: then
   * nothing is made and its record is removed (a loser of a race whose worktree was still
   * queued when the race was won: making it would hold up the winner's merge behind it).
   *
   * @returns the worktree; undefined when stopped first.
   * @throws {GitError} when git cannot make it (the record then says `failed`).
   */
  async createUnlessStopped(
    unit: Unit,
    attempt: number,
    base: string = this.#head,
    stop?: AbortSignal,
  ): Promise<UnitWorktree | undefined> {
    const part = `${unitBranchPart(unit)}${attempt > 1 ? `-attempt-${attempt}` : ''}`;
    const name = `${this.#runId}-${part}`;
    const path = join(this.#folder, name);
    let record: WorktreeRecord = {
      name,
      runId: this.#runId,
      step: unit.step.number,
      ...(unit.block !== undefined && { block: unit.block }),
      ...(unit.candidate !== undefined && { candidate: unit.candidate }),
      attempt,
      branch: `planspace/${this.#runId}/${part}`,
      path,
      top: this.repository.top,
      base,
      state: 'creating',
      updated: new Date().toISOString(),
    };
    await writeWorktreeRecord(this.#paths, record);
    let made;
    try {
      made = await this.#serial(async () => {
        if (stop?.aborted === true) return false;
        await addWorktree(this.repository.top, path, record.branch, record.base);
        return true;
      });
    } catch (error) {
      await this.#write(record, 'failed', { reason: (error as Error).message });
      throw error;
    }
    if (!made) {
      await removeWorktreeRecord(this.#paths, name);
      return undefined;
    }
    faultPoint('isolation-after-worktree-add');
    record = await this.#write(record, 'running');
    const cwd = this.repository.prefix === '' ? path : `${path}/${this.repository.prefix.replace(/\/$/, '')}`;
    return { record, cwd };
  }

  /**
   * Commits what the unit's agent left in its worktree and merges it into the integration
   * branch, after the merges queued before it; on success removes the worktree, its branch and
   * its record.
   *
   * @param committed - the worktree's commit when its work was committed already (`commit`, a
   *   held candidate: nothing has run in it since); default: commit what it holds now.
   *
   * @returns `{ head }`, the integration branch's commit right after this merge (later merges
   *   may have moved it on since), or `{ failure }`, why the attempt fails: `merge conflict in
   *   a.txt, b.txt` (the paths also go to `conflicts` for the next attempt) or the reason a merge
   *   was refused; the worktree is then kept, recorded `conflict` or `failed`.
   * @throws {GitError} when git fails otherwise.
   */
  async integrate(
    tree: UnitWorktree,
    label: UnitCommitLabel,
    committed?: string,
  ): Promise<{ readonly head: string } | { readonly failure: string }> {
    const message = unitCommitMessage(label);
    const tip = committed ?? (await commitWorktree(tree.record.path, message, this.#identity));
    const record = await this.#write(tree.record, 'merging', { tip });
    const part = unitBranchPart(label.unit);
    let outcome;
    try {
      // The head is read inside the queue: the merge before this one may have moved it.
      outcome = await this.#serial(async () => {
        const merged = await mergeIntoIntegration({
          top: this.repository.top,
          branch: this.repository.branch,
          expected: this.#head,
          tip,
          message: `Merge ${record.branch}: ${message}`,
          env: this.#identity,
        });
        // In the queue: the next merge must start from this one's head.
        if (merged.kind !== 'conflict') this.#head = merged.head;
        return merged;
      });
    } catch (error) {
      if (!(error instanceof MergeRefusedError)) throw error;
      await this.#write(record, 'failed', { reason: error.message });
      return { failure: error.message };
    }
    if (outcome.kind === 'conflict') {
      const reason = `merge conflict in ${outcome.paths.join(', ')}`;
      this.conflicts.set(part, outcome.paths);
      await this.#write(record, 'conflict', { reason, conflicts: outcome.paths });
      return { failure: reason };
    }
    this.conflicts.delete(part);
    await this.discard(record);
    return { head: outcome.head };
  }

  /**
   * Commits what a candidate's agent left in its worktree (as `integrate` would), without
   * merging: the candidate is held until the round's pick.
   *
   * @returns the worktree's `HEAD` afterwards (see `commitWorktree`).
   * @throws {GitError} when git fails (a worktree removed under the engine).
   */
  async commit(tree: UnitWorktree, label: UnitCommitLabel): Promise<string> {
    return commitWorktree(tree.record.path, unitCommitMessage(label), this.#identity);
  }

  /** Keeps a failed attempt's worktree for a look, recorded `failed` with `reason`. */
  async keep(tree: UnitWorktree, reason: string): Promise<void> {
    await this.#write(tree.record, 'failed', { reason });
  }

  /**
   * Removes a worktree, its branch and its record: after its merge, or when its attempt was
   * aborted (the unit is redone from the start by a later run).
   */
  async discard(record: WorktreeRecord): Promise<void> {
    await this.#serial(() => removeWorktree(record.top, record.path, record.branch));
    await removeWorktreeRecord(this.#paths, record.name);
  }

  /**
   * `discard` for many worktrees at once (a race's losers): their folders are deleted together
   * by one process (`removeFolders`), outside git's queue (a folder is no part of what a
   * `worktree add` reads), then one `worktree prune` and one `branch -D` in the queue, then
   * their records. An engine dying midway leaves records of worktrees whose folders may be gone,
   * which `recover.ts` removes as any other.
   *
   * @throws {GitError} when git fails; an `Error` when a folder cannot be deleted.
   */
  async discardAll(records: readonly WorktreeRecord[]): Promise<void> {
    if (records.length === 0) return;
    await removeFolders(records.map((record) => record.path));
    const branches = records.map((record) => record.branch);
    await this.#serial(() => forgetWorktrees(this.repository.top, branches));
    await Promise.all(records.map((record) => removeWorktreeRecord(this.#paths, record.name)));
  }

  /** Runs `task` after every task queued before it (see `#queue`). */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(
    record: WorktreeRecord,
    state: WorktreeState,
    extra: Partial<Pick<WorktreeRecord, 'tip' | 'reason' | 'conflicts'>> = {},
  ): Promise<WorktreeRecord> {
    const next = { ...record, ...extra, state, updated: new Date().toISOString() };
    await writeWorktreeRecord(this.#paths, next);
    return next;
  }
}
