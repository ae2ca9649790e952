/**
 * A schedule's bytes, with step status markers changed without re-reading or re-scanning the
 * text: what `LivePlan` writes after each take on a schedule of any length.
 */
import type { Schedule, Step, StepStatus } from './step.js';

/** Bytes of a marker: `[run]` is 5, the other four are 6. */
const markerLength = (status: StepStatus): number => status.length + 2;

/**
 * The UTF-8 bytes of a schedule, whose step markers can be changed. Changes are gathered and
 * applied in one copy of the bytes when they are next asked for, so a take that settles one
 * step and starts another copies the schedule once, however long it is.
 */
export class MarkerBytes {
  #bytes: Buffer;
  /**
   * Where each step's marker would start if every marker before it were 6 bytes long. The
   * actual start is that minus the `[run]` markers before it (one byte shorter each).
   */
  readonly #base: number[] = [];
  /** Each step's status as the bytes hold it. */
  readonly #status: StepStatus[];
  /** Positions of the steps whose marker in the bytes is `[run]`: few, the steps running. */
  readonly #running = new Set<number>();
  /** Changes not yet applied to the bytes, by step position. */
  readonly #pending = new Map<number, StepStatus>();

  /** @param schedule - the parsed schedule; its text gives the bytes (a BOM is kept). */
  constructor(schedule: Schedule) {
    const { text, steps } = schedule;
    this.#bytes = Buffer.from(text, 'utf8');
    this.#status = steps.map((step) => step.status);
    // Byte offsets equal character offsets in ASCII text; otherwise count the bytes between steps.
    const ascii = this.#bytes.length === text.length;
    let bytes = 0;
    let chars = 0;
    let runs = 0;
    for (const [i, step] of steps.entries()) {
      bytes += ascii ? step.offset - chars : Buffer.byteLength(text.slice(chars, step.offset));
      chars = step.offset;
      this.#base.push(bytes + runs);
      if (step.status === 'run') {
        runs += 1;
        this.#running.add(i);
      }
    }
  }

  /**
   * Takes in `steps` appended after the last step: `bytes` are the new whole bytes, which
   * start with this object's current bytes (no change pending), followed by the bytes of
   * `tail`, the appended text, whose first character is at character offset `tailOffset` of
   * the whole text (the steps' `offset`s are in the whole text).
   *
   * @throws {Error} when a change is pending or `bytes` do not extend the current bytes (a bug).
   */
  append(steps: readonly Step[], bytes: Buffer, tail: string, tailOffset: number): void {
    const start = this.#bytes.length;
    if (this.#pending.size > 0 || bytes.length !== start + Buffer.byteLength(tail)) {
      throw new Error('MarkerBytes.append: the bytes do not extend the current ones');
    }
    const ascii = bytes.length - start === tail.length;
    let byte = start;
    let chars = 0;
    for (const step of steps) {
      const at = step.offset - tailOffset;
      byte += ascii ? at - chars : Buffer.byteLength(tail.slice(chars, at));
      chars = at;
      const position = this.#status.push(step.status) - 1;
      // As in the constructor: the actual start plus the `[run]` markers before it.
      this.#base.push(byte + this.#running.size);
      if (step.status === 'run') this.#running.add(position);
    }
    this.#bytes = bytes;
  }

  /** Sets the marker of the step at `position` (an index into `schedule.steps`) to `[status]`. */
  set(position: number, status: StepStatus): void {
    if (this.#status[position] === status) this.#pending.delete(position);
    else this.#pending.set(position, status);
  }

  /** The schedule's bytes with every change made so far. */
  get bytes(): Buffer {
    if (this.#pending.size === 0) return this.#bytes;
    const changes = [...this.#pending].sort(([a], [b]) => a - b);
    this.#pending.clear();
    const parts: Buffer[] = [];
    let copied = 0;
    for (const [position, status] of changes) {
      let runsBefore = 0;
      for (const run of this.#running) if (run < position) runsBefore += 1;
      const start = (this.#base[position] ?? 0) - runsBefore;
      const before = this.#status[position] ?? status;
      parts.push(this.#bytes.subarray(copied, start), Buffer.from(`[${status}]`));
      copied = start + markerLength(before);
    }
    parts.push(this.#bytes.subarray(copied));
    // Offsets above are those of the old bytes: update what they depend on only now.
    for (const [position, status] of changes) {
      this.#status[position] = status;
      if (status === 'run') this.#running.add(position);
      else this.#running.delete(position);
    }
    this.#bytes = Buffer.concat(parts);
    return this.#bytes;
  }
}
