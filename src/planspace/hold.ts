/**
 * The engine's hold on a planspace: `engine.json`, created exclusively by the running
 * `workflow run`. A second engine is refused while the holder's pid is alive; a dead holder's
 * file is taken over at once (no stale timeout to wait out), under a short lock.
 *
 * ```json
 * {"pid":4711,"runId":"r-mwr7hpe6","since":"2026-11-22T02:30:00.000Z"}
 * ```
 */
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, PlanspaceError } from '../errors.js';
import { writeFileAtomicSync } from '../fs/atomic.js';
import { withFileLock } from '../fs/lock.js';
import { readRegularFileSync } from '../fs/regular-file.js';
import { isProcessAlive } from '../mailbox/liveness.js';
import type { PlanspacePaths } from './paths.js';

/** What `engine.json` holds. */
export interface EngineHold {
  readonly pid: number;
  readonly runId: string;
  readonly since: string;
}

/** Another live engine holds the planspace. */
export class PlanspaceBusyError extends PlanspaceError {
  readonly holder: EngineHold;

  constructor(planspace: string, holder: EngineHold) {
    super('E_BUSY', `${planspace} is being run by another engine (pid ${holder.pid}, since ${holder.since})`);
    this.holder = holder;
  }
}

/** The path of the hold file. */
export function holdPath(paths: PlanspacePaths): string {
  return join(paths.root, 'engine.json');
}

/**
 * Reads the current hold, or undefined if there is none. The read itself is synchronous (see
 * `readHoldSync`); errors reject the promise.
 *
 * @throws {NotRegularFileError} if `engine.json` is a FIFO, socket, device or folder.
 */
export function readHold(paths: PlanspacePaths): Promise<EngineHold | undefined> {
  return new Promise((resolve) => {
    resolve(readHoldSync(paths));
  });
}

/**
 * `readHold` without yielding: in the critical section of `takeHold` (a lock every other engine
 * starting waits for) and in `releaseNow`. A damaged file names no live engine (pid 0).
 *
 * @throws as `readHold`.
 */
function readHoldSync(paths: PlanspacePaths): EngineHold | undefined {
  let text: string;
  try {
    text = readRegularFileSync(holdPath(paths)).toString('utf8');
  } catch (error) {
    // ENOTDIR: the planspace is not a folder; the schedule verbs that look for a live engine
    // first leave it to their schedule read to say so.
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as EngineHold;
  } catch (error) {
    if (error instanceof SyntaxError) return { pid: 0, runId: '', since: '' };
    throw error;
  }
}

/** The hold of the live engine running the planspace, or undefined if none runs it. */
export async function liveHold(paths: PlanspacePaths): Promise<EngineHold | undefined> {
  const holder = await readHold(paths);
  return holder && holder.pid !== 0 && isProcessAlive(holder.pid) ? holder : undefined;
}

/**
 * Takes the hold for this process.
 *
 * @param onTakeover - called with a dead holder's hold, under the lock, before this process's
 *   hold replaces it: what must end with the dead engine (its orphaned agents) ends before the
 *   planspace changes hands. Killed later, this process leaves nothing of the dead engine for
 *   the next to miss; killed earlier, the next one finds the same dead holder.
 * @returns `release`, which removes the file if it is still this process's; `releaseNow`, the
 *   same without yielding, for a process about to end (a second Ctrl-C); and the hold of a dead
 *   engine that was taken over, if any.
 * @throws {PlanspaceBusyError} if a live engine holds the planspace.
 */
export async function takeHold(
  paths: PlanspacePaths,
  runId: string,
  onTakeover?: (previous: EngineHold) => void,
): Promise<{ release: () => Promise<void>; releaseNow: () => void; previous: EngineHold | undefined }> {
  const file = holdPath(paths);
  const mine: EngineHold = { pid: process.pid, runId, since: new Date().toISOString() };
  // Under the lock, checking the holder and replacing a dead one is one step: two engines
  // starting at once cannot both see the same dead holder and both take over.
  const previous = await withFileLock(file, () => {
    const holder = readHoldSync(paths);
    if (holder && holder.pid !== 0 && isProcessAlive(holder.pid)) throw new PlanspaceBusyError(paths.root, holder);
    if (holder) onTakeover?.(holder);
    writeFileAtomicSync(file, `${JSON.stringify(mine)}\n`);
    return Promise.resolve(holder);
  });
  const release = async (): Promise<void> => {
    const holder = await readHold(paths);
    if (holder?.pid === process.pid && holder.runId === runId) await rm(file, { force: true });
  };
  const releaseNow = (): void => {
    const holder = readHoldSync(paths);
    if (holder?.pid === process.pid && holder.runId === runId) rmSync(file, { force: true });
  };
  return { release, releaseNow, previous };
}
