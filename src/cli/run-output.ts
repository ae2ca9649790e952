/**
 * What `workflow run` prints while it runs: one JSON document per event with `--json`; else a
 * line per event (see `event-line.ts`), coloured as `colours.ts` decides, with the live status
 * line under them when standard output is a terminal (see `live-view.ts`).
 */
import type { LoggedEvent } from '../planspace/log.js';
import { colourEnabled, makeColours } from './colours.js';
import { eventLine } from './event-line.js';
import { LiveView } from './live-view.js';
import type { VerbIO } from './verb.js';

/** The live output of one run. */
export interface RunOutput {
  /** Prints an event of the run. */
  readonly event: (event: LoggedEvent) => void;
  /** `io` with notes printed around the status line, for what the run says besides events (typed answers). */
  readonly io: VerbIO;
  /** Stops redrawing the status line and removes it. */
  readonly stop: () => void;
}

/**
 * Starts the live output of a run on `io`.
 *
 * @param options - `json`: JSON lines, no status line, no colour; `color`: false for `--no-color`.
 */
export function startRunOutput(io: VerbIO, options: { readonly json?: boolean; readonly color?: boolean }): RunOutput {
  if (options.json === true) {
    return {
      event: (event) => {
        io.print(`${JSON.stringify(event)}\n`);
      },
      io,
      stop: () => undefined,
    };
  }
  const colours = makeColours(colourEnabled({ env: io.env, isTTY: io.isTTY, color: options.color }));
  if (!io.isTTY)
    return {
      event: (event) => {
        io.print(eventLine(event, colours));
      },
      io,
      stop: () => undefined,
    };
  const view = new LiveView({ write: io.print, columns: () => io.columns, colours });
  // A note written under the status line would join it: the view lifts the line for it.
  const note = (text: string): void => {
    view.interject(() => {
      io.note(text);
    });
  };
  return {
    event: (event) => {
      view.event(event, eventLine(event, colours));
    },
    io: { ...io, note },
    stop: () => {
      view.stop();
    },
  };
}
