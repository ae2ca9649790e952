/**
 * The terminal view of `workflow run`: event lines scroll as usual, and one status line at the
 * bottom (see `status-line.ts`) shows every running unit, the questions waiting and the elapsed
 * times, redrawn every second. Used only when stdout is a terminal; elsewhere the events are
 * plain lines.
 */
import type { LoggedEvent } from '../planspace/log.js';
import type { Colours } from './colours.js';
import { EMPTY_STATUS, nextStatus, statusLine, type RunStatus } from './status-line.js';
import type { TypedLine } from './typed-line.js';

/** Erases the terminal's current line and returns to its start. */
const CLEAR_LINE = '\x1b[2K\r';

/** The width assumed when the terminal does not say (0 or undefined columns). */
const DEFAULT_COLUMNS = 80;

/** Fewer columns than this left by the typed text: no status at all, rather than a stub of it. */
const MIN_STATUS_COLUMNS = 12;

/** Options of `LiveView`. */
export interface LiveViewOptions {
  /** Writes to the terminal (standard output). */
  readonly write: (text: string) => void;
  /** The terminal's width now, in columns (read at every redraw: the window may be resized). */
  readonly columns: () => number | undefined;
  readonly colours: Colours;
  /** Redraw period in ms. Default 1000. */
  readonly intervalMs?: number;
}

/** Tracks what the status line shows, from the events, and keeps it drawn under them. */
export class LiveView {
  readonly #options: LiveViewOptions;
  readonly #timer: NodeJS.Timeout;
  readonly #startedAt = Date.now();
  #status: RunStatus = EMPTY_STATUS;
  #shown = false;
  #typed: TypedLine | undefined;
  #stopped = false;

  /** Starts redrawing every `intervalMs`. Call `stop()` when the run ends. */
  constructor(options: LiveViewOptions) {
    this.#options = options;
    this.#timer = setInterval(() => {
      this.#draw();
    }, options.intervalMs ?? 1000);
  }

  /** Prints an event's line (ending with a newline) above the status line and updates the status. */
  event(event: LoggedEvent, line: string): void {
    this.#status = nextStatus(this.#status, event);
    this.#clear();
    this.#options.write(line);
    this.#draw();
  }

  /**
   * Runs `print`, which writes whole lines to the same terminal (a note on standard error),
   * with the status line removed meanwhile, then draws it again below them.
   */
  interject(print: () => void): void {
    this.#clear();
    print();
    this.#draw();
  }

  /**
   * From now on draws the status line as the prompt of `typed`, before what the person types,
   * cut so that both fit on one line; undefined: alone again (typing has ended).
   */
  attach(typed: TypedLine | undefined): void {
    this.#clear();
    this.#typed = typed;
    this.#draw();
  }

  /** Draws the status line again now (the typed text has changed: the room left for it too). */
  redraw(): void {
    this.#draw();
  }

  /**
   * The status line's text now (see `statusLine`).
   *
   * @param reserved - columns taken by other text on the line (what is typed). Default 0.
   */
  status(now = Date.now(), reserved = 0): string {
    const columns = this.#options.columns();
    const width = (columns === undefined || columns <= 0 ? DEFAULT_COLUMNS : columns) - reserved;
    if (reserved > 0 && width < MIN_STATUS_COLUMNS) return '';
    return statusLine({ status: this.#status, startedAt: this.#startedAt, now, width, colours: this.#options.colours });
  }

  #draw(): void {
    // A note printed after the end (the reply to an answer typed at the last moment) stays a note.
    if (this.#stopped) return;
    if (this.#typed) this.#typed.show(this.status(Date.now(), this.#typed.typedWidth()));
    else this.#options.write(`${this.#shown ? CLEAR_LINE : ''}${this.status()}`);
    this.#shown = true;
  }

  /** Removes the status line (and the typed text after it, which the next draw puts back). */
  #clear(): void {
    if (!this.#shown) return;
    if (this.#typed) this.#typed.hide();
    else this.#options.write(CLEAR_LINE);
    this.#shown = false;
  }

  /** Stops redrawing and removes the status line. */
  stop(): void {
    clearInterval(this.#timer);
    this.#clear();
    this.#stopped = true;
  }
}
