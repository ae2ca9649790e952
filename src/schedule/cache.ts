/**
 * The engine's copy of its schedule: parsed once, re-read only when someone else changed the
 * file, so that settling a step and taking the next costs the same on 10 steps or 10,000.
 */
import { closeSync, constants, fstatSync, openSync, statSync, type BigIntStats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { isErrno, PlanspaceError, ScheduleNotFoundError } from '../errors.js';
import { writeFileAtomicSync } from '../fs/atomic.js';
import { namePath } from '../fs/io-error.js';
import { withFileLock } from '../fs/lock.js';
import { readAtSync } from '../fs/read-at.js';
import { readRegularFileSync } from '../fs/regular-file.js';
import { mayHoldFence, parseAppendedSteps, type TailPlace } from './append.js';
import { readScheduleFile } from './file.js';
import { LivePlan, type LiveTakeOptions, type LiveTakeOutcome, type SettledSteps } from './live-plan.js';
import type { Step } from './step.js';
import { fileVersion } from './version.js';

/** The most `noteAppend` notes kept at once. */
const MAX_APPEND_NOTES = 1024;

/** Lines of `text` that end with a line break, plus one: the line number after its end. */
function lineCount(text: string): number {
  let lines = 1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines += 1;
  return lines;
}

/**
 * The schedule file of a run, with its plan kept between takes (see `LivePlan`). Each `take`
 * holds the schedule lock (as every writer of DESIGN.md §3 does), checks with one `stat` that
 * the file is still the version this cache last read or wrote, re-reads and re-parses it only
 * if not (a `workflow done|retry|skip` from a shell, a step added by hand), and writes the
 * new version atomically. A file that is the bytes this cache wrote followed by new lines
 * (`workflow add` appends at the end) costs only those lines: they are parsed alone and added
 * to the plan (`parseAppendedSteps`, `LivePlan.append`). When `workflow add` said which
 * versions its append went from and to (`noteAppend`), only the new bytes are read; else the
 * file is read whole to see that it starts with the cached bytes. Changes made by the engine
 * through other functions (`markStep`, `retryStep`) are seen the same way: they are someone
 * else's writes.
 */
export class ScheduleCache {
  readonly #path: string;
  readonly #only: Set<number> | undefined;
  readonly #settled: SettledSteps | undefined;
  #plan: LivePlan | undefined;
  /** The version of the file `#plan` holds (see `fileVersion`). */
  #version = '';
  /** Where text appended to `#plan`'s file would start; undefined when it may not be parsed alone. */
  #tail: TailPlace | undefined;
  /** Appends `workflow add` reported (`noteAppend`): the version after each, by the version before. */
  readonly #appends = new Map<string, string>();
  #fullReads = 0;
  #bytesRead = 0;

  /**
   * @param path - the schedule file, usually `<planspace>/schedule.md`.
   * @param only - the steps that may start; the others count as `[done]` (see `TakeOptions.only`).
   *   Grown by this cache: a step that was not in the file when it first read it, and was added
   *   by a step of `only` (`added-by:`), joins it when a take first sees it, so that a review
   *   run alone (`--only`, `--goal`) runs the fix and the re-review it adds. Default: every step.
   * @param settled - the steps the caller settled, kept current by the caller: each re-read of
   *   the file plans them so, whatever the file says (see `LivePlan`). Default: none.
   */
  constructor(path: string, only?: Set<number>, settled?: SettledSteps) {
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
   * @param taken - called with the outcome once it is written, still under the lock: a caller
   *   whose takes overlap records the steps it started before another take can see them.
   */
  async take(options: LiveTakeOptions = {}, taken?: (outcome: LiveTakeOutcome) => void): Promise<LiveTakeOutcome> {
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
        taken?.(outcome);
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

  /**
   * How many times this cache read and parsed the whole file (the first take included): for
   * tests that an appended step is taken from the new lines alone.
   */
  get fullReads(): number {
    return this.#fullReads;
  }

  /** How many bytes of the file this cache has read, by any read: for tests of what a take reads. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /**
   * Notes that a writer turned version `before` of the file into `after` by appending bytes at
   * its end, every byte of `before` kept (`workflow add`, told through the engine's mailbox;
   * versions as `fileVersion`). When the cached version leads by such notes to the file's
   * version, the next take reads only the bytes past the cached ones. A wrong note costs
   * nothing but that: the new bytes must still parse alone as appended steps.
   */
  noteAppend(before: string, after: string): void {
    // Notes of appends this cache never meets (it read the file whole meanwhile) are dropped
    // now and then rather than kept for the run.
    if (this.#appends.size >= MAX_APPEND_NOTES) this.#appends.clear();
    this.#appends.set(before, after);
  }

  /** The plan of the file as it is now: the cached one, extended by appended steps, or a new one. */
  async #current(): Promise<LivePlan> {
    // Taken before the read: a change in between makes the next take read again, never miss it.
    const stats = this.#stat();
    const version = fileVersion(stats);
    if (this.#plan !== undefined && version === this.#version) return this.#plan;
    if (this.#plan !== undefined && this.#appended(this.#plan, stats)) {
      this.#version = version;
      return this.#plan;
    }
    const schedule = await readScheduleFile(this.#path);
    const previous = this.#plan;
    if (previous !== undefined) this.#admit(schedule.steps, (number) => previous.needsOf(number) !== undefined);
    this.#fullReads += 1;
    this.#bytesRead += Buffer.byteLength(schedule.text);
    this.#appends.clear();
    this.#plan = new LivePlan(schedule, this.#only, this.#settled);
    this.#version = version;
    const { text } = schedule;
    this.#tail =
      mayHoldFence(text) || !text.endsWith('\n') ? undefined : { line: lineCount(text), offset: text.length };
    return this.#plan;
  }

  /**
   * Takes steps appended to the file since the plan's version into `plan` (`workflow add`
   * writes them at the end): when the file is the plan's bytes followed by new lines that
   * parse alone (`parseAppendedSteps`). Returns false, with `plan` untouched, for any other
   * change (an edit above the end, a tail that does not qualify): read the whole file then.
   */
  #appended(plan: LivePlan, stats: BigIntStats): boolean {
    const place = this.#tail;
    const known = plan.bytes;
    if (place === undefined || plan.changed || stats.size <= BigInt(known.length)) return false;
    let bytes: Buffer;
    try {
      const noted = this.#readNoted(known, fileVersion(stats), true);
      if (noted !== undefined) {
        bytes = noted;
      } else {
        bytes = readRegularFileSync(this.#path);
        this.#bytesRead += bytes.length;
        if (bytes.length <= known.length || !bytes.subarray(0, known.length).equals(known)) return false;
      }
    } catch (error) {
      // The whole read that follows meets the same error and reports it as a schedule read does.
      if (error instanceof PlanspaceError || typeof (error as NodeJS.ErrnoException).code === 'string') return false;
      throw error;
    }
    const appended = this.#parseTail(plan, place, bytes);
    if (appended === undefined) return false;
    const { steps, tail } = appended;
    this.#admit(steps, () => false);
    plan.append(steps, bytes, tail, place.offset);
    this.#tail = { line: place.line + lineCount(tail) - 1, offset: place.offset + tail.length };
    return true;
  }

  /**
   * The steps appended to the file since the version this cache holds, read without the lock
   * and without changing the cache: when noted appends (`noteAppend`) lead from that version to
   * the file's, and the new bytes parse alone. Undefined otherwise, whatever the reason (the
   * file changed otherwise, is gone, or cannot be read): the next take finds out. For a caller
   * deciding whether a take now could start anything; the take reads them again, under the lock.
   */
  peekAppended(): readonly Step[] | undefined {
    const plan = this.#plan;
    const place = this.#tail;
    if (plan === undefined || place === undefined || plan.changed) return undefined;
    try {
      const bytes = this.#readNoted(plan.bytes, fileVersion(statSync(this.#path, { bigint: true })), false);
      return bytes === undefined ? undefined : this.#parseTail(plan, place, bytes)?.steps;
    } catch (error) {
      if (error instanceof PlanspaceError || typeof (error as NodeJS.ErrnoException).code === 'string')
        return undefined;
      throw error;
    }
  }

  /**
   * The steps in `bytes` past `plan`'s own, and their text, when that text is UTF-8 lines that
   * parse alone as appended steps (`parseAppendedSteps`); undefined otherwise.
   *
   * @throws {ScheduleSyntaxError} as `parseAppendedSteps`, for appended lines that do not parse.
   */
  #parseTail(plan: LivePlan, place: TailPlace, bytes: Buffer): { steps: readonly Step[]; tail: string } | undefined {
    const tailBytes = bytes.subarray(plan.bytes.length);
    if (!isUtf8(tailBytes) || tailBytes.includes(0)) return undefined;
    const tail = tailBytes.toString('utf8');
    if (!tail.endsWith('\n')) return undefined;
    const steps = parseAppendedSteps(tail, this.#path, (number) => plan.needsOf(number) !== undefined, place);
    return steps === undefined ? undefined : { steps, tail };
  }

  /**
   * Adds to `only` each step of `steps` (in file order) that `known` does not know and that a
   * step of `only` added (`added-by:`); one added by a step admitted so is admitted too.
   */
  #admit(steps: readonly Step[], known: (number: number) => boolean): void {
    const only = this.#only;
    if (only === undefined) return;
    for (const step of steps) {
      const by = step.attributes.addedBy;
      if (by !== undefined && only.has(by) && !known(step.number)) only.add(step.number);
    }
  }

  /**
   * The file's bytes as `known` (the cached version's) followed by what the noted appends
   * (`noteAppend`) added, reading only those: when the notes lead from the cached version to
   * `version`, and the file is still that version when opened. Undefined otherwise.
   *
   * @param consume - forget the notes on the way (a take, which moves the cache on); false for
   *   a look that changes nothing.
   * @throws the `fs` errors of the open and read.
   */
  #readNoted(known: Buffer, version: string, consume: boolean): Buffer | undefined {
    let at = this.#version;
    // A chain of notes never loops (each names a newer file); the bound is for bad notes.
    const most = this.#appends.size;
    for (let hops = 0; at !== version; hops += 1) {
      const next = this.#appends.get(at);
      if (next === undefined || hops >= most) return undefined;
      if (consume) this.#appends.delete(at);
      at = next;
    }
    // Non-blocking: a pipe put in the file's place since the stat must not hang the engine.
    const fd = openSync(this.#path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stats = fstatSync(fd, { bigint: true });
      if (fileVersion(stats) !== version) return undefined;
      const tail = readAtSync(fd, Number(stats.size) - known.length, known.length);
      this.#bytesRead += tail.length;
      return Buffer.concat([known, tail]);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Replaces the file atomically (`writeFileAtomicSync`: a temporary file in the same folder,
   * 0600, then a rename) and returns the version written: the temporary file's own, taken
   * before the rename, so that no other write can slip in between.
   *
   * @throws the `fs` error naming the file; the file is then unchanged.
   */
  #write(bytes: Uint8Array): string {
    return fileVersion(writeFileAtomicSync(this.#path, bytes));
  }
}
