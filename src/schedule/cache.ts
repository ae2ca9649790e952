/**
 * The engine's copy of its schedule: parsed once, re-read only when someone else changed the
 * file, so that settling a step and taking the next costs the same on 10 steps or 10,000.
 */
import {
  closeSync,
  fchmodSync,
  fstatSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isErrno, ScheduleNotFoundError } from '../errors.js';
import { FILE_MODE } from '../fs/guard.js';
import { namePath } from '../fs/io-error.js';
import { withFileLock } from '../fs/lock.js';
import { readScheduleFile } from './file.js';
import { LivePlan, type LiveTakeOptions, type LiveTakeOutcome, type SettledSteps } from './live-plan.js';
import type { Step } from './step.js';

/**
 * Which version of a file a stat describes. Every writer that follows DESIGN.md replaces the
 * file by a rename, which gives it a new inode; an editor writing in place changes the mtime
 * (ns) or the size.
 */
function versionOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

/** Counts this process's temporary files; with the pid, their names never collide. */
let temporaries = 0;

/**
 * The schedule file of a run, with its plan kept between takes (see `LivePlan`). Each `take`
 * holds the schedule lock (as every writer of DESIGN.md §3 does), checks with one `stat` that
 * the file is still the version this cache last read or wrote, re-reads and re-parses it only
 * if not (a `workflow done|retry|skip` from a shell, a step added by hand), and writes the
 * new version atomically. Changes made by the engine through other functions
 * (`markStep`, `retryStep`) are seen the same way: they are someone else's writes.
 */
export class ScheduleCache {
  readonly #path: string;
  readonly #only: ReadonlySet<number> | undefined;
  readonly #settled: SettledSteps | undefined;
  #plan: LivePlan | undefined;
  /** The version of the file `#plan` holds (see `versionOf`). */
  #version = '';

  /**
   * @param path - the schedule file, usually `<planspace>/schedule.md`.
   * @param only - the steps that may start; the others count as `[done]` (see `TakeOptions.only`).
   * @param settled - the steps the caller settled, kept current by the caller: each re-read of
   *   the file plans them so, whatever the file says (see `LivePlan`). Default: none.
   */
  constructor(path: string, only?: ReadonlySet<number>, settled?: SettledSteps) {
    this.#path = path;
    this.#only = only;
    this.#settled = settled;
  }

  /**
   * `takeSteps` on the schedule file: settles `settle`, takes the ready steps up to `limit`,
   * and writes the result, in one locked write.
   *
   * @throws {ScheduleNotFoundError} / {ScheduleSyntaxError} / {LockError} / {NoSuchStepError}
   *   as `takeSteps`, with nothing written; an `fs` error of the write (naming the file), with
   *   the file unchanged. After any error the next take reads the file again.
   */
  async take(options: LiveTakeOptions = {}): Promise<LiveTakeOutcome> {
    // As `updateScheduleFile`: a missing planspace is not worth a lock folder.
    this.#stat();
    return withFileLock(this.#path, async (assertHeld) => {
      try {
        const plan = await this.#current();
        const outcome = plan.take(options);
        if (plan.changed) {
          assertHeld();
          this.#version = this.#write(plan.bytes);
          plan.written();
        }
        return outcome;
      } catch (error) {
        this.#plan = undefined;
        throw error;
      }
    });
  }

  /**
   * Synchronous, as the write below: a take holds the lock, and each thread-pool round trip
   * (1-2 ms while the pool is busy, as at a run's start) is time the lock is held for nothing.
   */
  #stat(): BigIntStats {
    try {
      return statSync(this.#path, { bigint: true });
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) {
        throw new ScheduleNotFoundError(this.#path, { cause: error });
      }
      throw namePath(error, this.#path);
    }
  }

  /**
   * The steps step `number` needs (`LivePlan.needsOf`) as of the last take; undefined before
   * the first take or for a step the schedule did not hold then.
   */
  needsOf(number: number): readonly Step[] | undefined {
    return this.#plan?.needsOf(number);
  }

  /** The plan of the file as it is now: the cached one, or a new one from the file. */
  async #current(): Promise<LivePlan> {
    // Taken before the read: a change in between makes the next take read again, never miss it.
    const stats = this.#stat();
    const version = versionOf(stats);
    if (this.#plan !== undefined && version === this.#version) return this.#plan;
    this.#plan = new LivePlan(await readScheduleFile(this.#path), this.#only, this.#settled);
    this.#version = version;
    return this.#plan;
  }

  /**
   * Replaces the file atomically (temporary file in the same folder, then rename), as
   * `writeFileAtomic` does (0600 whatever the umask or the old file's mode), and returns the version written: the temporary file's own, taken
   * before the rename, so that no other write can slip in between.
   */
  #write(bytes: Uint8Array): string {
    temporaries += 1;
    const temporary = join(dirname(this.#path), `.${basename(this.#path)}.${process.pid}.c${temporaries}.tmp`);
    try {
      const fd = openSync(temporary, 'wx', FILE_MODE);
      let version: string;
      try {
        fchmodSync(fd, FILE_MODE);
        for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
        version = versionOf(fstatSync(fd, { bigint: true }));
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.#path);
      return version;
    } catch (error) {
      rmSync(temporary, { force: true });
      throw namePath(error, this.#path);
    }
  }
}
