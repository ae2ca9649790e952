/**
 * `workflow rollback <planspace> --to N`: moves the codespace's integration branch (its
 * checked-out branch, or a detached HEAD) back to step N's checkpoint and turns every step
 * settled after it back to `[wait]` (see `settled-after.ts` for which), so that the next
 * `workflow run` does them again on the code as it was.
 *
 * In this order, each refusal before the first change:
 * 1. step N must have a checkpoint (`checkpoints.json`), whose commit the repository still has;
 * 2. no live engine may run the planspace (its agents would go on editing the old code). As
 *    for `workflow done`, this is a look at `engine.json`, not a hold: an engine started in the
 *    same moment is not kept out;
 * 3. no tracked file of the codespace may have uncommitted changes (staged or not): they
 *    would be lost or mixed into the old code. Untracked files are never looked at or touched;
 * 4. the head it leaves is saved as `refs/planspace/rollback/<UTC time>`, so that a rollback
 *    can itself be undone (`git reset --keep <that ref>`);
 * 5. `git reset --keep <checkpoint>`, which moves the branch and updates the working tree, and
 *    stops, changing nothing, rather than overwrite an untracked file that is in the way;
 * 6. the steps go back to `[wait]` in one locked write of the schedule (on failure, the branch
 *    is put back where it was);
 * 7. a `rollback` event in `events.jsonl` and a line in `log.md`;
 * 8. their checkpoints are dropped (refs and `checkpoints.json`): they are no longer done.
 *
 * A process killed between 5 and 7 leaves the branch moved with no log line (and, before 6,
 * the steps settled): the saved ref says where it was.
 */
import { PlanspaceError } from '../errors.js';
import { liveHold } from '../planspace/hold.js';
import { logEvent } from '../planspace/log.js';
import { planspacePaths, type PlanspacePaths } from '../planspace/paths.js';
import type { StepChange } from '../schedule/operations.js';
import { readSchedule } from '../schedule/operations.js';
import { resetSettledSteps } from '../schedule/reset-steps.js';
import { type Checkpoint, checkpointRef, readCheckpoints, writeCheckpoints } from './checkpoint-file.js';
import { repositoryOf } from './checkpoints.js';
import { git, gitLine } from './git.js';
import { readSettleMarks } from './settle-marks.js';
import { stepsSettledAfter } from './settled-after.js';

/** `workflow rollback` will not act now: an engine runs, or the codespace has uncommitted changes. Exit 2. */
export class RollbackRefusedError extends PlanspaceError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_ROLLBACK_REFUSED', message, options);
  }
}

/** Step N has no checkpoint to roll back to. Exit 2. */
export class NoCheckpointError extends PlanspaceError {
  constructor(message: string) {
    super('E_NO_CHECKPOINT', message);
  }
}

/** What a rollback did. */
export interface RollbackOutcome {
  /** The checkpoint rolled back to. */
  readonly checkpoint: Checkpoint;
  /** The branch moved, or undefined for a detached HEAD (which was moved instead). */
  readonly branch: string | undefined;
  /** The commit HEAD was at before. */
  readonly left: string;
  /** The ref that now holds `left`: `refs/planspace/rollback/<UTC time>`. */
  readonly savedRef: string;
  /** The steps turned back to `[wait]`, with the status each had. */
  readonly reset: readonly StepChange[];
}

/** `refs/planspace/rollback/20261207T174000.123Z`: a ref name may hold no `:`. */
export function rollbackRef(now: Date): string {
  return `refs/planspace/rollback/${now.toISOString().replace(/[-:]/g, '')}`;
}

/** The paths of `git status --porcelain=v1 -z` output (a rename's second path is its source). */
function statusPaths(output: string): string[] {
  const fields = output.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i += 1) {
    const field = fields[i] ?? '';
    if (field === '') continue;
    paths.push(field.slice(3));
    if (/[RC]/.test(field.slice(0, 2))) i += 1;
  }
  return paths;
}

/**
 * Rolls a planspace's codespace back to step `to`'s checkpoint (see the module comment).
 *
 * @param planspace - the planspace folder.
 * @param to - the step whose checkpoint to go back to.
 * @param now - the time that names the saved ref; default now.
 * @throws {NoCheckpointError} when step `to` has no checkpoint; nothing changed.
 * @throws {RollbackRefusedError} while a live engine runs the planspace, when tracked files
 *   have uncommitted changes (named), when the repository is gone or no longer has the
 *   commit, or when `git reset --keep` refuses (an untracked file in the way); nothing changed.
 * @throws {GitError}, {LockError}, {ScheduleSyntaxError} or an `fs` error from a later step.
 */
export async function rollback(planspace: string, to: number, now = new Date()): Promise<RollbackOutcome> {
  const paths = planspacePaths(planspace);
  const checkpoints = await readCheckpoints(paths);
  const checkpoint = checkpoints.find((entry) => entry.step === to);
  if (checkpoint === undefined) {
    const known = checkpoints.map((entry) => entry.step).join(', ');
    throw new NoCheckpointError(
      `step ${to} has no checkpoint; ${known === '' ? 'there are none' : `checkpoints: steps ${known}`} (workflow checkpoints ${planspace})`,
    );
  }
  const holder = await liveHold(paths);
  if (holder !== undefined) {
    throw new RollbackRefusedError(
      `engine pid ${holder.pid} (run ${holder.runId}) is running ${planspace}; stop it first with workflow abort ${planspace}`,
    );
  }
  const repository = checkpoint.repository;
  if ((await repositoryOf(repository)) === undefined) {
    throw new RollbackRefusedError(
      `${repository}, where step ${to}'s checkpoint was made, is no longer a git repository`,
    );
  }
  const has = await git(repository, ['cat-file', '-e', `${checkpoint.commit}^{commit}`], { allowExitCodes: [1, 128] });
  if (has.exitCode !== 0) {
    throw new RollbackRefusedError(`${repository} no longer has step ${to}'s checkpoint commit ${checkpoint.commit}`);
  }
  const status = await git(repository, ['status', '--porcelain=v1', '-z', '--untracked-files=no']);
  const dirty = statusPaths(status.stdout);
  if (dirty.length > 0) {
    throw new RollbackRefusedError(
      `${repository} has uncommitted changes to tracked files: ${dirty.join(', ')}; commit or stash them first (untracked files are no obstacle)`,
    );
  }
  const left = await gitLine(repository, ['rev-parse', 'HEAD']);
  const symbolic = await git(repository, ['symbolic-ref', '-q', '--short', 'HEAD'], { allowExitCodes: [1] });
  const branch = symbolic.exitCode === 0 ? symbolic.stdout.trim() : undefined;

  const schedule = await readSchedule(planspace);
  const others = checkpoints.filter((entry) => entry.step !== to && entry.repository === repository);
  const numbers = stepsSettledAfter({
    target: to,
    steps: schedule.steps,
    marks: await readSettleMarks(paths),
    checkpointOrder: checkpoints.map((entry) => entry.step),
    notContained: await notContainedIn(repository, checkpoint.commit, others),
  });

  const savedRef = rollbackRef(now);
  const message = `planspace: rollback of ${planspace} to step ${to}`;
  // An empty old value: the ref must not exist yet (never overwrite an earlier rollback's).
  await git(repository, ['update-ref', '--create-reflog', '-m', message, savedRef, left, '']);
  try {
    await git(repository, ['reset', '--keep', '-q', checkpoint.commit]);
  } catch (error) {
    await git(repository, ['update-ref', '-d', savedRef, left]);
    throw new RollbackRefusedError(`git could not move ${branch ?? 'HEAD'} back: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let reset: StepChange[];
  try {
    reset = await resetSettledSteps(planspace, new Set(numbers));
  } catch (error) {
    await git(repository, ['reset', '--keep', '-q', left]);
    await git(repository, ['update-ref', '-d', savedRef, left]);
    throw error;
  }
  const outcome: RollbackOutcome = { checkpoint, branch, left, savedRef, reset };
  // The log first: should dropping the checkpoints fail, what was done is on record.
  await logRollback(paths, outcome);
  const dropped = new Set(reset.map((change) => change.before.number));
  await dropCheckpoints(repository, checkpoints, dropped);
  if (dropped.size > 0)
    await writeCheckpoints(
      paths,
      checkpoints.filter((entry) => !dropped.has(entry.step)),
    );
  return outcome;
}

/**
 * The steps of `others` whose checkpoint commit `commit` does not contain: one `git rev-list`
 * of what they reach and it does not. Commits git no longer has are passed over.
 */
async function notContainedIn(repository: string, commit: string, others: readonly Checkpoint[]): Promise<Set<number>> {
  const candidates = others.filter((entry) => entry.commit !== commit);
  if (candidates.length === 0) return new Set();
  const reached = await git(repository, [
    'rev-list',
    '--ignore-missing',
    ...new Set(candidates.map((entry) => entry.commit)),
    '--not',
    commit,
  ]);
  const outside = new Set(reached.stdout.split('\n'));
  return new Set(candidates.filter((entry) => outside.has(entry.commit)).map((entry) => entry.step));
}

/** Deletes the checkpoint refs of the steps in `dropped`, in one `git update-ref --stdin`. */
async function dropCheckpoints(
  repository: string,
  checkpoints: readonly Checkpoint[],
  dropped: ReadonlySet<number>,
): Promise<void> {
  const refs = checkpoints.filter((entry) => dropped.has(entry.step)).map((entry) => checkpointRef(entry.step));
  if (refs.length === 0) return;
  // A ref already gone (deleted by hand) is no error: `delete` without an old value.
  await git(repository, ['update-ref', '--stdin'], { input: refs.map((ref) => `delete ${ref}\n`).join('') });
}

async function logRollback(paths: PlanspacePaths, outcome: RollbackOutcome): Promise<void> {
  const { checkpoint, branch, left, savedRef, reset } = outcome;
  const steps = reset.map((change) => change.before.number);
  const where = branch ?? 'detached HEAD';
  const back =
    steps.length === 0
      ? 'no step settled after it'
      : `step${steps.length > 1 ? 's' : ''} ${steps.join(', ')} back to [wait]`;
  await logEvent(
    paths,
    {
      event: 'rollback',
      step: checkpoint.step,
      runId: checkpoint.runId,
      commit: checkpoint.commit,
      from: left,
      branch,
      savedRef,
      reset: steps,
    },
    `rollback to step ${checkpoint.step}'s checkpoint ${checkpoint.commit.slice(0, 7)}: ${where} moved from ${left.slice(0, 7)} (saved as ${savedRef}); ${back}`,
  );
}
