/**
 * The terminal view of `workflow run`: event lines scroll as usual, and one status line at the
 * bottom shows the running step, its elapsed time and the questions waiting, redrawn every
 * second. Used only when stdout is a terminal; elsewhere the events are plain lines.
 */
import type { LoggedEvent } from '../planspace/log.js';

const CLEAR_LINE = '\x1b[2K\r';

/** Tracks what the status line shows, from the events. */
export class LiveView {
  readonly #write: (text: string) => void;
  readonly #timer: NodeJS.Timeout;
  #step: { number: number; model: string; since: number } | undefined;
  readonly #questions = new Set<string>();
  #shown = false;

  /** Starts redrawing every `intervalMs` (default 1000). Call `stop()` when the run ends. */
  constructor(write: (text: string) => void, intervalMs = 1000) {
    this.#write = write;
    this.#timer = setInterval(() => {
      this.#draw();
    }, intervalMs);
  }

  /** Prints an event's line above the status line and updates the status. */
  event(event: LoggedEvent, line: string): void {
    if (event.event === 'dispatched' && typeof event.step === 'number') {
      this.#step = { number: event.step, model: String(event.model), since: Date.parse(event.time) };
    } else if (['done', 'failed', 'aborted', 'complete', 'selection-done', 'blocked'].includes(event.event))
      this.#step = undefined;
    if (event.event === 'question') this.#questions.add(String(event.question));
    if (event.event === 'answered' || event.event === 'question-cancelled')
      this.#questions.delete(String(event.question));
    this.#write(`${this.#shown ? CLEAR_LINE : ''}${line}`);
    this.#shown = false;
    this.#draw();
  }

  /** The status line's text. */
  status(now = Date.now()): string {
    const step = this.#step
      ? `step ${this.#step.number} running on ${this.#step.model}, ${Math.round((now - this.#step.since) / 1000)}s`
      : 'between steps';
    const waiting = this.#questions.size;
    const questions =
      waiting === 0
        ? 'no questions'
        : `${waiting} question${waiting === 1 ? '' : 's'} waiting: ${[...this.#questions].join(', ')} (type: <id> <answer>)`;
    return `-- ${step} | ${questions}`;
  }

  #draw(): void {
    this.#write(`${this.#shown ? CLEAR_LINE : ''}${this.status()}`);
    this.#shown = true;
  }

  /** Stops redrawing and removes the status line. */
  stop(): void {
    clearInterval(this.#timer);
    if (this.#shown) this.#write(CLEAR_LINE);
    this.#shown = false;
  }
}
