/**
 * A reader's side of the checkpoint (see `checkpoint.ts` for the file): starting from the
 * newest one the logs still reach, and writing a new one once enough records were read past
 * the last, then deleting what every kept checkpoint covers.
 */
import {
  collectCheckpoints,
  newestCheckpointCovers,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from './checkpoint.js';
import type { MailboxPaths } from './paths.js';
import { ReaderState } from './reader-state.js';
import { collectSegments, GONE, readLog } from './segments.js';

/**
 * The state of the mailbox's newest checkpoint that describes its current journal and that
 * both logs reach (they hold the records it covers, and those after it).
 *
 * @returns the state, or undefined if there is none (the logs are replayed from the start).
 * @throws {UnsafePathError} if a checkpoint or log file is a symbolic link.
 */
export function restoreState(paths: MailboxPaths): ReaderState | undefined {
  const checkpoint = readCheckpoint(paths.checkpoint, (candidate) => reaches(paths, candidate));
  return checkpoint === undefined ? undefined : ReaderState.from(checkpoint);
}

/**
 * Whether both logs reach a checkpoint: see `restoreState`. One record past it is read, not
 * the rest: a backlog of unread messages after it must cost nothing here.
 */
function reaches(paths: MailboxPaths, checkpoint: Checkpoint): boolean {
  const journal = readLog(paths.journal, checkpoint.journal, 1);
  if (journal === GONE || journal.tag !== checkpoint.tag || journal.total < checkpoint.journal) return false;
  const claims = readLog(paths.claims, checkpoint.claims, 1);
  return claims !== GONE && claims.total >= checkpoint.claims;
}

/**
 * Writes the checkpoint of `state` if at least `threshold` records were read past the last
 * one, and at least as many as the state has entries (so that writing it costs O(1) per
 * record), unless the mailbox's newest checkpoint, which another reader may have written,
 * is fewer than `threshold` records behind `state` (or ahead of it); then deletes older
 * checkpoints and the log segments both kept ones cover. Call it
 * only when both logs were just read to their end: a reader that lags behind (one that
 * acknowledges a message it has held for long) would otherwise write a checkpoint far behind
 * the one it replaces. A checkpoint that cannot be written (a read-only or full planspace) is
 * not tried again before as many more records.
 *
 * @throws the `fs` error of `writeCheckpoint`, `collectCheckpoints` or `collectSegments`.
 */
export function checkpointIfDue(paths: MailboxPaths, state: ReaderState, threshold: number): void {
  const checkpoint = state.toCheckpoint();
  if (checkpoint === undefined) return;
  if (state.covered - state.checkpointed < Math.max(threshold, state.entries)) return;
  // The receivers of a busy mailbox read the same records and would each write a checkpoint of
  // them: one near this state, by another, serves as well, and looking costs a listing of the
  // folder where writing costs a write, a rename and the collection after it.
  const newest = newestCheckpointCovers(paths.checkpoint, checkpoint.tag);
  if (state.covered - newest < threshold) {
    state.checkpointed = newest;
    return;
  }
  state.checkpointed = state.covered;
  if (!writeCheckpoint(paths.checkpoint, checkpoint)) return;
  // Segments of the logs that every kept checkpoint covers are no longer needed by anyone.
  const needless = collectCheckpoints(paths.checkpoint, checkpoint.tag);
  if (needless === undefined) return;
  collectSegments(paths.journal, needless.journal);
  collectSegments(paths.claims, needless.claims);
}
