/**
 * The blocks of a step already done, kept on disk as well as in the run's memory, so that an
 * engine that dies (SIGKILL, a crash, a double Ctrl-C) does not have them redone: the next run
 * resumes the step's `[run]` and dispatches only the blocks not recorded here.
 *
 * File: `artifacts/step-N-blocks-done.json`, replaced atomically each time a block of step N
 * succeeds, before its `done:` report is acknowledged:
 *
 * ```json
 * {"step":3,"blocks":["parser","cli"]}
 * ```
 *
 * It belongs to the step's current attempt: it is removed when the step settles `[done]` and
 * when a run starts the step afresh from `[wait]` (a new attempt redoes every block, as it did
 * before blocks were recorded); a run that resumes a `[run]` step reads it.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { writeFileAtomicSync } from '../fs/atomic.js';
import { readRegularFile } from '../fs/regular-file.js';
import type { PlanspacePaths } from '../planspace/paths.js';

/** The record of step `step`'s done blocks: `artifacts/step-N-blocks-done.json`. */
export function blocksDonePath(paths: PlanspacePaths, step: number): string {
  return join(paths.artifacts, `step-${step}-blocks-done.json`);
}

/**
 * The blocks recorded done for step `step`, of those it has now (a block removed from
 * `blocks:` since is dropped). A damaged record (not JSON, or not this shape) counts as none:
 * every block is redone, which costs time, never a block's work.
 *
 * @param blocks - the step's `blocks:` as the schedule has them now.
 * @returns the done blocks; empty when there is no record.
 * @throws {NotRegularFileError} if the record is a FIFO, socket, device or folder; other `fs`
 *   errors but ENOENT.
 */
export async function readBlocksDone(
  paths: PlanspacePaths,
  step: number,
  blocks: readonly string[],
): Promise<Set<string>> {
  let text: string;
  try {
    text = (await readRegularFile(blocksDonePath(paths, step))).toString('utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return new Set();
    throw error;
  }
  let recorded: unknown;
  try {
    recorded = (JSON.parse(text) as { blocks?: unknown }).blocks;
  } catch (error) {
    if (error instanceof SyntaxError) return new Set();
    throw error;
  }
  if (!Array.isArray(recorded)) return new Set();
  return new Set(blocks.filter((block) => recorded.includes(block)));
}

/**
 * Records `done` as step `step`'s done blocks, replacing the record atomically. Synchronous:
 * blocks ending together each write the whole set in turn, so the last write holds them all.
 *
 * @throws the `fs` error of the write (`ENOSPC`, `EROFS`), naming the file; the old record stays.
 */
export function writeBlocksDone(paths: PlanspacePaths, step: number, done: ReadonlySet<string>): void {
  writeFileAtomicSync(blocksDonePath(paths, step), `${JSON.stringify({ step, blocks: [...done] })}\n`);
}

/** Removes step `step`'s record of done blocks, if there is one. */
export async function clearBlocksDone(paths: PlanspacePaths, step: number): Promise<void> {
  await rm(blocksDonePath(paths, step), { force: true });
}
