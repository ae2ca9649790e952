/** The planspace files a run appends to or rewrites, checked before it starts. */
import { assertRegularOrMissing } from '../fs/regular-file.js';
import { holdPath } from './hold.js';
import type { PlanspacePaths } from './paths.js';

/**
 * Checks that `state.md`, `log.md`, `events.jsonl` and `engine.json` are each a regular file
 * or missing, so that a FIFO left at one of them stops `workflow run` before it holds the
 * planspace or starts an agent, not halfway through. (Every later open checks again.)
 *
 * @throws {NotRegularFileError} naming the first that is a FIFO, socket, device or folder.
 */
export function assertRunFiles(paths: PlanspacePaths): void {
  for (const path of [paths.state, paths.log, paths.events, holdPath(paths)]) assertRegularOrMissing(path);
}
