/**
 * `checkpoints.json`: the planspace's record of its checkpoints, one per step that settled
 * `[done]` (the last time it did), in the order they were recorded. The commit of each is also
 * held by a ref of the codespace's repository, `refs/planspace/checkpoints/step-N`, which keeps
 * it from git's garbage collection; this file adds what a ref cannot hold (run id, time, the
 * repository) and lets `workflow checkpoints` list them without running git.
 *
 * ```json
 * {
 *   "version": 1,
 *   "checkpoints": [
 *     {
 *       "step": 1,
 *       "runId": "r-mwr7hpe6",
 *       "commit": "9f2c1e0d...(40 hex digits)",
 *       "subject": "step 1: add a.txt",
 *       "ref": "refs/planspace/checkpoints/step-1",
 *       "repository": "/home/me/project",
 *       "time": "2026-12-07T17:40:00.000Z"
 *     }
 *   ]
 * }
 * ```
 *
 * Rewritten atomically (temporary file, then rename) by the engine as steps settle and by
 * `workflow rollback`; never by two processes at once, since `rollback` refuses while an
 * engine runs the planspace.
 */
import { join } from 'node:path';
import { isErrno, PlanspaceError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readRegularFile } from '../fs/regular-file.js';
import type { PlanspacePaths } from '../planspace/paths.js';

/** One checkpoint: where the integration branch stood when step `step` settled `[done]`. */
export interface Checkpoint {
  /** The step number. */
  readonly step: number;
  /** The id of the run (`workflow run`) that settled the step. */
  readonly runId: string;
  /** The commit HEAD of the codespace named, 40 (or 64, SHA-256) hex digits. */
  readonly commit: string;
  /** That commit's subject line. */
  readonly subject: string;
  /** The ref that holds the commit: `refs/planspace/checkpoints/step-N`. */
  readonly ref: string;
  /** The absolute top-level folder of the codespace's repository. */
  readonly repository: string;
  /** When it was recorded, ISO 8601 (UTC). */
  readonly time: string;
}

/** `checkpoints.json` could not be understood: it names the file and what is wrong. */
export class CheckpointFileError extends PlanspaceError {
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super('E_CHECKPOINTS', `${path}: ${reason}`, options);
  }
}

/** The ref of step `step`'s checkpoint in the codespace's repository. */
export function checkpointRef(step: number): string {
  return `refs/planspace/checkpoints/step-${step}`;
}

/** The path of `checkpoints.json` in a planspace. */
export function checkpointFilePath(paths: PlanspacePaths): string {
  return join(paths.root, 'checkpoints.json');
}

/** True for a value of the shape of `Checkpoint`. */
function isCheckpoint(value: unknown): value is Checkpoint {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(entry.step) &&
    ['runId', 'commit', 'subject', 'ref', 'repository', 'time'].every((key) => typeof entry[key] === 'string')
  );
}

/**
 * Reads a planspace's checkpoints, in the order they were recorded; none when the file is missing.
 *
 * @throws {CheckpointFileError} when the file is not JSON of the format above.
 * @throws {NotRegularFileError} when it is a FIFO, socket, device or folder; the `fs` error otherwise.
 */
export async function readCheckpoints(paths: PlanspacePaths): Promise<Checkpoint[]> {
  const path = checkpointFilePath(paths);
  let text: string;
  try {
    text = (await readRegularFile(path)).toString('utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CheckpointFileError(path, 'not valid JSON', { cause: error });
  }
  const list = (data as { checkpoints?: unknown } | null)?.checkpoints;
  if (!Array.isArray(list) || !list.every(isCheckpoint)) {
    throw new CheckpointFileError(path, 'expected {"version":1,"checkpoints":[...]} with step, runId, commit, ...');
  }
  return list;
}

/**
 * Writes a planspace's checkpoints, replacing the file atomically.
 *
 * @throws the `fs` error (`ENOSPC`, `EROFS`), naming the file, which is then unchanged.
 */
export function writeCheckpoints(paths: PlanspacePaths, checkpoints: readonly Checkpoint[]): Promise<void> {
  return writeFileAtomic(checkpointFilePath(paths), `${JSON.stringify({ version: 1, checkpoints }, null, 2)}\n`);
}
