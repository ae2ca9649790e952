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
  /**
   * Reads the lines typed at the terminal `input` and calls `onLine` with each, until the
   * returned function is called. In the live view on a terminal they are typed on the status
   * line's own line, after it (see `typed-line.ts`), and echoed on a line of their own after
   * Enter; elsewhere read in the terminal's cooked mode, as plain lines.
   */
  readonly readLines: (input: NodeJS.ReadableStream, onLine: (line: string) => void) => Promise<() => void>;
}

/** Lines of `input` read in the terminal's cooked mode: the terminal echoes and edits them. */
async function readPlainLines(input: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<() => void> {
  const { createInterface } = await import('node:readline');
  const lines = createInterface({ input });
  lines.on('line', onLine);
  return () => {
    lines.close();
  };
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
      readLines: readPlainLines,
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
      readLines: readPlainLines,
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
    readLines: async (input, onLine) => {
      if (!(input as Partial<NodeJS.ReadStream>).isTTY) return readPlainLines(input, onLine);
      const { openTypedLine } = await import('./typed-line.js');
      const typed = openTypedLine({
        input,
        write: io.print,
        columns: () => io.columns,
        onLine: (line) => {
          if (line.trim() !== '') {
            view.interject(() => {
              io.print(`${line}\n`);
            });
          }
          onLine(line);
        },
        onInterrupt: io.interrupt,
        onKey: () => {
          view.redraw();
        },
        onClose: () => {
          view.attach(undefined);
          note('no more typed answers (Ctrl-D); answer from any shell: workflow answer <planspace> --id <id> <text>\n');
        },
      });
      view.attach(typed);
      const stop = (): void => {
        io.forceSignal.removeEventListener('abort', stopNow);
        view.attach(undefined);
        typed.close();
      };
      // A forced stop ends the process right after its listeners: raw mode off, line erased first.
      const stopNow = (): void => {
        view.stop();
        typed.close();
      };
      io.forceSignal.addEventListener('abort', stopNow, { once: true });
      return stop;
    },
  };
}
