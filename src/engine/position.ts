/**
 * The engine-owned `## Position` section of `state.md` (DESIGN.md §5.7): what runs now, or how
 * the run ended. Many units start and end together (64 blocks); their updates share writes.
 */
import { writePosition } from '../planspace/state.js';
import { unitLabel, type Unit } from './context.js';

/** Writes a run's `## Position`, each text stamped with the time and the run id. */
export class PositionWriter {
  readonly #state: string;
  readonly #runBase: string;
  /** The units running now, by dispatch run id: what an update shows. */
  readonly #running: () => Iterable<[string, Unit]>;
  /** The update in flight, and whether another must follow it. */
  #inFlight: Promise<void> | undefined;
  #stale = false;

  /**
   * @param state - the path of `state.md`.
   * @param runBase - the run id, named in each text.
   * @param running - the units running now, by dispatch run id, read at each update.
   */
  constructor(state: string, runBase: string, running: () => Iterable<[string, Unit]>) {
    this.#state = state;
    this.#runBase = runBase;
    this.#running = running;
  }

  /**
   * Rewrites `## Position` from what runs now. Coalesces: while a write is in flight, later
   * calls share one more write after it, which shows what runs by then. 64 blocks starting at
   * once cost two rewrites of `state.md`, not 64.
   *
   * @throws (rejects with) the `fs` error of the write.
   */
  update(): Promise<void> {
    if (this.#inFlight !== undefined) {
      this.#stale = true;
      return this.#inFlight;
    }
    const write = async (): Promise<void> => {
      do {
        this.#stale = false;
        const units = [...this.#running()].map(([runId, unit]) => `- ${unitLabel(unit)}: run ${runId}`);
        await this.write(units.length === 0 ? 'Between steps.' : `Running:\n\n${units.join('\n')}`);
        // Set by calls made during the write, which TypeScript's narrowing cannot see.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      } while (this.#stale);
    };
    this.#inFlight = write().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /**
   * Rewrites `## Position` with `text` (how the run ended, e.g. `Complete: ...`).
   *
   * @throws (rejects with) the `fs` error of the write.
   */
  async write(text: string): Promise<void> {
    await writePosition(
      this.#state,
      `${text}\n\nUpdated ${new Date().toISOString()} by the engine (run ${this.#runBase}).`,
    );
  }
}
