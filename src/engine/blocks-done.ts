/**
 * The blocks of a step already done, kept on disk as well as in the run's memory, so that an
 * engine that dies (SIGKILL, a crash, a double Ctrl-C) does not have them redone: the next run
 * resumes the step's `[run]` and dispatches only the blocks not recorded here.
 *
 * File: `artifacts/step-N-blocks-done.json`, replaced atomically each time blocks of step N
 * succeed, before their `done:` reports are acknowledged (blocks that end together share one
 * write, see `recordBlocksDone`):
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
 * Records `done` as step `step`'s done blocks, replacing the record atomically. Synchronous.
 *
 * @throws the `fs` error of the write (`ENOSPC`, `EROFS`), naming the file; the old record stays.
 */
export function writeBlocksDone(paths: PlanspacePaths, step: number, done: ReadonlySet<string>): void {
  writeFileAtomicSync(blocksDonePath(paths, step), `${JSON.stringify({ step, blocks: [...done] })}\n`);
}

/** A write of a record due at the end of this turn of the event loop, and the set it writes. */
interface DueWrite {
  done: ReadonlySet<string>;
  readonly written: Promise<void>;
}

/** Writes due, by record file. */
const due = new Map<string, DueWrite>();

/**
 * `writeBlocksDone`, shared by the blocks of a step that end in the same turn of the event loop:
 * one write, at the end of the turn (`setImmediate`), of the latest `done` given. Each write
 * makes a file and renames it over the last (several ms on a busy disk), and 64 blocks started
 * together end within a few ms of each other: they wrote the record 64 times.
 *
 * @returns resolves once a record holding `done` (as it is when the write is made: the caller's
 *   set, to which later blocks add) is on disk.
 * @throws (rejects with) the `fs` error of the write, naming the file; the old record stays.
 */
export function recordBlocksDone(paths: PlanspacePaths, step: number, done: ReadonlySet<string>): Promise<void> {
  const file = blocksDonePath(paths, step);
  const pending = due.get(file);
  if (pending !== undefined) {
    pending.done = done;
    return pending.written;
  }
  const write: DueWrite = {
    done,
    written: new Promise<void>((resolve) => {
      setImmediate(resolve);
    }).then(() => {
      due.delete(file);
      writeBlocksDone(paths, step, write.done);
    }),
  };
  due.set(file, write);
  return write.written;
}

/** Removes step `step`'s record of done blocks, if there is one. */
export async function clearBlocksDone(paths: PlanspacePaths, step: number): Promise<void> {
  await rm(blocksDonePath(paths, step), { force: true });
}
