/**
 * Checkpoints as a run records them: when a step settles `[done]`, where the codespace's
 * integration branch (its checked-out branch, HEAD) stands. With worktree isolation that is the
 * merge of the step's units; without it, whatever the agents committed in the codespace. What
 * is not committed is not in a checkpoint: with isolation off, an agent's uncommitted edits
 * stay outside it, and the engine does not commit them for the user.
 *
 * Each checkpoint is written three ways (see `checkpoint-file.ts` for the file):
 * - the ref `refs/planspace/checkpoints/step-N` in the codespace's repository, at the commit,
 *   with a reflog entry `planspace: step N done (run R)` (so `git reflog` shows its history);
 * - an entry of the planspace's `checkpoints.json` (run id, commit, subject, time), replacing
 *   the step's previous one;
 * - a `checkpoint` event in `events.jsonl` and a line in `log.md`, whose place among the
 *   `done`/`failed`/`skipped` events tells `workflow rollback` which steps settled after it.
 *
 * A codespace that is not in a git repository (or git not installed) has no checkpoints, and
 * that is no error: nothing is written or logged. A repository whose branch has no commit
 * yet, or a git command that fails, costs the step its checkpoint, not the run: the log says why.
 */
import {
  type Checkpoint,
  CheckpointFileError,
  checkpointRef,
  readCheckpoints,
  writeCheckpoints,
} from './checkpoint-file.js';
import { git, GitError } from './git.js';
import type { RunEvent } from '../planspace/log.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import type { Step } from '../schedule/step.js';

/** What recording a checkpoint needs of a run (the engine's context has all of it). */
export interface CheckpointRun {
  readonly paths: PlanspacePaths;
  readonly sources: { readonly codespace: string };
  /** The run's id, recorded with each checkpoint. */
  readonly runBase: string;
  /** Appends to `log.md` and `events.jsonl`. */
  log(event: RunEvent, message: string): Promise<void>;
}

/** A run's checkpoint state: its repository (found once), its list, and the queue of writes. */
interface RunState {
  /** The repository's top-level folder, or undefined when the codespace is not in one. */
  readonly repository: Promise<string | undefined>;
  /** `checkpoints.json` as this run last wrote it (read at its first checkpoint). */
  list: Checkpoint[] | undefined;
  /** The checkpoints of steps settling at once are recorded one after another, in order. */
  queue: Promise<void>;
}

const runs = new WeakMap<CheckpointRun, RunState>();

/**
 * The top-level folder of the git repository holding `codespace`, or undefined when it is not
 * in one or git cannot be started.
 *
 * @throws {GitError} when git fails otherwise (a damaged repository).
 */
export async function repositoryOf(codespace: string): Promise<string | undefined> {
  try {
    const result = await git(codespace, ['rev-parse', '--show-toplevel'], { allowExitCodes: [128] });
    return result.exitCode === 0 ? result.stdout.replace(/\n$/, '') : undefined;
  } catch (error) {
    // git is not installed: a codespace without checkpoints, like one without a repository.
    if (error instanceof GitError && error.exitCode === undefined) return undefined;
    throw error;
  }
}

function stateOf(run: CheckpointRun): RunState {
  let state = runs.get(run);
  if (state === undefined) {
    state = { repository: repositoryOf(run.sources.codespace), list: undefined, queue: Promise.resolve() };
    runs.set(run, state);
  }
  return state;
}

/**
 * Records the checkpoint of `step`, which has just settled `[done]` in `run` (see the module
 * comment). Called before the steps it made ready are dispatched, so that no agent of theirs
 * has moved HEAD yet. Checkpoints of steps settling at once are recorded in turn.
 *
 * @throws the `fs` error when `checkpoints.json`, `log.md` or `events.jsonl` cannot be written
 *   (`ENOSPC`, `EROFS`); a failing git command is logged instead.
 */
export function recordCheckpoint(run: CheckpointRun, step: Step): Promise<void> {
  const state = stateOf(run);
  const recorded = state.queue.then(() => record(run, state, step));
  // The next checkpoint waits for this one however it ends; this one's error goes to its caller.
  state.queue = recorded.then(
    () => undefined,
    () => undefined,
  );
  return recorded;
}

async function record(run: CheckpointRun, state: RunState, step: Step): Promise<void> {
  const label = `step ${step.number} (${step.name})`;
  let reason: string;
  try {
    const repository = await state.repository;
    if (repository === undefined) return;
    const head = await headCommit(repository);
    if (head !== undefined) {
      await writeCheckpoint(run, state, step, repository, head);
      return;
    }
    reason = "the codespace's branch has no commit yet";
  } catch (error) {
    // The step is done whatever happened to its checkpoint; the run goes on.
    if (!(error instanceof GitError || error instanceof CheckpointFileError)) throw error;
    reason = error.message;
  }
  await run.log(
    { event: 'checkpoint-failed', step: step.number, reason },
    `${label}: no checkpoint recorded, ${reason}`,
  );
}

/** The ref, the entry of `checkpoints.json`, then the log line, of one checkpoint. */
async function writeCheckpoint(
  run: CheckpointRun,
  state: RunState,
  step: Step,
  repository: string,
  head: { readonly commit: string; readonly subject: string },
): Promise<void> {
  const ref = checkpointRef(step.number);
  const message = `planspace: step ${step.number} done (run ${run.runBase})`;
  await git(repository, ['update-ref', '--create-reflog', '-m', message, ref, head.commit]);
  const checkpoint: Checkpoint = {
    step: step.number,
    runId: run.runBase,
    commit: head.commit,
    subject: head.subject,
    ref,
    repository,
    time: new Date().toISOString(),
  };
  state.list ??= await readCheckpoints(run.paths);
  state.list = [...state.list.filter((entry) => entry.step !== step.number), checkpoint];
  await writeCheckpoints(run.paths, state.list);
  await run.log(
    { event: 'checkpoint', step: step.number, runId: run.runBase, commit: head.commit, ref },
    `step ${step.number} (${step.name}): checkpoint ${head.commit.slice(0, 7)} (${ref})`,
  );
}

/**
 * HEAD's commit and subject, or undefined when the branch has no commit yet.
 *
 * @throws {GitError} when git fails otherwise.
 */
async function headCommit(repository: string): Promise<{ commit: string; subject: string } | undefined> {
  // One process for both; exit 128 with "does not have any commits yet" is an unborn branch.
  const result = await git(repository, ['log', '-1', '--format=%H%x00%s'], { allowExitCodes: [128] });
  if (result.exitCode === 0) {
    const [commit = '', subject = ''] = result.stdout.replace(/\n$/, '').split('\0');
    return { commit, subject };
  }
  if (result.stderr.includes('does not have any commits yet')) return undefined;
  throw new GitError(['log', '-1', '--format=%H%x00%s'], repository, { ...result, exitCode: 128 });
}
