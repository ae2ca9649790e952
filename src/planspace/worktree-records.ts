/**
 * The planspace's record of the worktrees its runs made: one JSON file per worktree in
 * `<planspace>/worktrees/`, replaced atomically at each change of state, removed once the
 * worktree is. It is how `workflow worktrees` finds them, and how a run that takes over from a
 * dead engine finds the units that engine left half-way (`engine/recover.ts`).
 *
 * File `worktrees/<name>.json`, `name` being the worktree folder's:
 *
 * ```json
 * {"name":"rmx1-step-3-a","runId":"rmx1","step":3,"block":"a","attempt":1,
 *  "branch":"planspace/rmx1/step-3-a","path":"/p/code/.git/planspace-worktrees/rmx1-step-3-a",
 *  "top":"/p/code","base":"<sha>","state":"merging","tip":"<sha>","updated":"2026-...Z"}
 * ```
 *
 * States: `creating` (before `git worktree add`), `running` (its agent runs), `merging` (its
 * work is committed as `tip`, to be merged), `failed` and `conflict` (kept for a look, with
 * `reason`; `conflicts` lists the paths of a conflict).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { FOLDER_MODE } from '../fs/guard.js';
import { readRegularFile } from '../fs/regular-file.js';
import type { PlanspacePaths } from './paths.js';

/** Where a unit's worktree stands. */
export type WorktreeState = 'creating' | 'running' | 'merging' | 'failed' | 'conflict';

/** One worktree a run made for a unit (see the module comment for the file). */
export interface WorktreeRecord {
  /** The worktree folder's name, unique in the repository: `<run id>-step-N[-X][-attempt-K]`. */
  readonly name: string;
  /** The run (its base run id) that made it. */
  readonly runId: string;
  readonly step: number;
  readonly block?: string;
  /** The candidate number k, for a candidate of a step with `candidates: N`. */
  readonly candidate?: number;
  /** The unit's attempt number over the planspace's life (as in its artifact file names). */
  readonly attempt: number;
  /** Its branch's short name, `planspace/<run id>/step-N[-X][-attempt-K]`. */
  readonly branch: string;
  /** The worktree folder, absolute. */
  readonly path: string;
  /** The codespace repository's top folder. */
  readonly top: string;
  /** The integration head it was made from. */
  readonly base: string;
  readonly state: WorktreeState;
  /** The commit to merge, once committed (`merging`). */
  readonly tip?: string;
  /** Why it failed (`failed`, `conflict`). */
  readonly reason?: string;
  /** The conflicting paths (`conflict`). */
  readonly conflicts?: readonly string[];
  /** ISO time of the last change of state. */
  readonly updated: string;
}

/** `<planspace>/worktrees/`. */
export function worktreeRecordsFolder(paths: PlanspacePaths): string {
  return join(paths.root, 'worktrees');
}

/** Writes (replaces) `record`, atomically, making `worktrees/` if needed. */
export async function writeWorktreeRecord(paths: PlanspacePaths, record: WorktreeRecord): Promise<void> {
  const folder = worktreeRecordsFolder(paths);
  await mkdir(folder, { recursive: true, mode: FOLDER_MODE });
  await writeFileAtomic(join(folder, `${record.name}.json`), `${JSON.stringify(record)}\n`);
}

/** Removes the record of worktree `name`; no error if there is none. */
export async function removeWorktreeRecord(paths: PlanspacePaths, name: string): Promise<void> {
  await rm(join(worktreeRecordsFolder(paths), `${name}.json`), { force: true });
}

/** True when `value` has the fields every record has (a damaged file is not one). */
function isRecord(value: unknown): value is WorktreeRecord {
  const record = value as Partial<WorktreeRecord> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.name === 'string' &&
    typeof record.step === 'number' &&
    typeof record.branch === 'string' &&
    typeof record.path === 'string' &&
    typeof record.top === 'string' &&
    typeof record.state === 'string'
  );
}

/**
 * Every record in `worktrees/`, by name. Files that are not records (damaged by hand, a
 * temporary file) are skipped: they name no worktree the engine could act on.
 *
 * @returns [] when there is no `worktrees/` folder.
 * @throws the `fs` errors of reading but ENOENT.
 */
export async function readWorktreeRecords(paths: PlanspacePaths): Promise<WorktreeRecord[]> {
  const folder = worktreeRecordsFolder(paths);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  const records: WorktreeRecord[] = [];
  for (const file of names.sort()) {
    if (!file.endsWith('.json') || file.startsWith('.')) continue;
    const text = (await readRegularFile(join(folder, file))).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      if (error instanceof SyntaxError) continue;
      throw error;
    }
    if (isRecord(value)) records.push(value);
  }
  return records;
}
