/**
 * The run's records: `log.md` for humans and `events.jsonl` for programs, one line each per
 * event, each appended with a single write so that a reader never sees half a line.
 *
 * ```text
 * log.md:       - 2026-11-22T02:30:00.000Z step 3 (scan): dispatched to glm, run r-4711-3
 * events.jsonl: {"time":"2026-11-22T02:30:00.000Z","event":"dispatched","step":3,"runId":"r-4711-3","model":"glm","message":"step 3 ..."}
 * ```
 */
import { appendWholeSync } from '../fs/append.js';
import { FILE_MODE } from '../fs/guard.js';
import { printable } from '../text/printable.js';
import type { PlanspacePaths } from './paths.js';

/** One event of a run: a name, a time, and any JSON-able fields. */
export interface RunEvent {
  /** What happened, e.g. `dispatched`, `done`, `failed`, `question`. */
  readonly event: string;
  /** The step it concerns, if any. */
  readonly step?: number;
  readonly [field: string]: unknown;
}

/** An event as written, with its time and its human line. */
export type LoggedEvent = RunEvent & { readonly time: string; readonly message: string };

/**
 * Appends an event to `events.jsonl` and its human line to `log.md`.
 *
 * @param message - the human-readable line (without time or newline); newlines in it are
 *   replaced by spaces so that each event stays one line. In `log.md`, which people `cat` and
 *   `tail -f`, control characters and bidi formatting that agents' text brings in are shown
 *   escaped (`printable`); `events.jsonl` keeps the exact text.
 * @returns the event with its time, as written.
 * @throws {UnsafePathError} if `log.md` or `events.jsonl` is a symbolic link.
 * @throws {NotRegularFileError} if either is a FIFO, socket, device or folder.
 * @throws (rejects with) the `fs` error naming the file (`ENOSPC`, `EROFS`); both files are
 *   then as they were.
 */
export function logEvent(paths: PlanspacePaths, event: RunEvent, message: string): Promise<LoggedEvent> {
  const oneLine = message.replace(/\r?\n/g, ' ');
  const logged: LoggedEvent = { time: new Date().toISOString(), ...event, message: oneLine };
  const line = `- ${logged.time} ${printable(oneLine)}\n`;
  // Two small appends: synchronous calls cost less than two thread-pool round trips each.
  // Whole lines or none (a full disk), and both files or neither. A throw in the executor
  // rejects the promise. `log.md` first: an engine killed between the two leaves an event
  // missing from `events.jsonl`, which the next engine reads and so writes again
  // (`logDoneOfDeadRun`), where the other order left a `done` line missing from `log.md` for good.
  return new Promise((resolve) => {
    const undo = appendWholeSync(paths.log, line, FILE_MODE);
    try {
      appendWholeSync(paths.events, `${JSON.stringify(logged)}\n`, FILE_MODE);
    } catch (error) {
      undo();
      throw error;
    }
    resolve(logged);
  });
}
