/**
 * The terminal view of `workflow run`: event lines scroll as usual, and one status line at the
 * bottom (see `status-line.ts`) shows every running unit, the questions waiting and the elapsed
 * times, redrawn every second. Used only when stdout is a terminal; elsewhere the events are
 * plain lines.
 */
import type { LoggedEvent } from '../planspace/log.js';
import type { Colours } from './colours.js';
import { EMPTY_STATUS, nextStatus, statusLine, type RunStatus } from './status-line.js';

/** Erases the terminal's current line and returns to its start. */
const CLEAR_LINE = '\x1b[2K\r';

/** The width assumed when the terminal does not say (0 or undefined columns). */
const DEFAULT_COLUMNS = 80;

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
    this.#options.write(`${this.#shown ? CLEAR_LINE : ''}${line}`);
    this.#shown = false;
    this.#draw();
  }

  /**
   * Runs `print`, which writes whole lines to the same terminal (a note on standard error),
   * with the status line removed meanwhile, then draws it again below them.
   */
  interject(print: () => void): void {
    if (this.#shown) this.#options.write(CLEAR_LINE);
    this.#shown = false;
    print();
    this.#draw();
  }

  /** The status line's text now (see `statusLine`). */
  status(now = Date.now()): string {
    const columns = this.#options.columns();
    const width = columns === undefined || columns <= 0 ? DEFAULT_COLUMNS : columns;
    return statusLine({ status: this.#status, startedAt: this.#startedAt, now, width, colours: this.#options.colours });
  }

  #draw(): void {
    this.#options.write(`${this.#shown ? CLEAR_LINE : ''}${this.status()}`);
    this.#shown = true;
  }

  /** Stops redrawing and removes the status line. */
  stop(): void {
    clearInterval(this.#timer);
    if (this.#shown) this.#options.write(CLEAR_LINE);
    this.#shown = false;
  }
}
