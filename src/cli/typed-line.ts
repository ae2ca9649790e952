/**
 * The bottom line of `workflow run` when a person types at the terminal: readline in terminal
 * mode edits what they type, and the live view's status line is its prompt. A redraw sets the
 * prompt and lets readline draw prompt and typed text together, so the text stays visible; in
 * cooked mode the terminal echoed the keys itself and every redraw (`ESC[2K`) erased them.
 *
 * Terminal mode puts the terminal in raw mode: keys arrive as bytes, not signals.
 * - Ctrl-C: readline emits 'SIGINT' on the interface; `onInterrupt` hands it to the process's
 *   one handler (first: clean abort, second: forced stop), as the terminal's own Ctrl-C did.
 * - Ctrl-D on an empty line: readline closes the interface (end of input, as in cooked mode);
 *   `onClose` tells the view, which goes back to a plain status line.
 * - Ctrl-Z: readline leaves raw mode and stops the process itself; on `fg` it returns to raw
 *   mode, and the next redraw's `prompt()` resumes reading.
 * `close()` (and readline's own close) leaves raw mode: callers close on every way out.
 */
import { createInterface, emitKeypressEvents } from 'node:readline';
import { Writable } from 'node:stream';

/** Moves to the start of the line and erases from there to the end of the screen. */
const CLEAR_DOWN = '\r\x1b[J';

/** Options of `openTypedLine`. */
export interface TypedLineOptions {
  /** Standard input, a terminal (`setRawMode`). */
  readonly input: NodeJS.ReadableStream;
  /** Writes to the terminal (standard output). */
  readonly write: (text: string) => void;
  /** The terminal's width now, in columns; undefined when it does not say. */
  readonly columns: () => number | undefined;
  /** A line the person ended with Enter, without its line end. The prompt is hidden by then. */
  readonly onLine: (line: string) => void;
  /** Ctrl-C was typed. */
  readonly onInterrupt: () => void;
  /** After each key readline has handled: the typed text's length may have changed. */
  readonly onKey: () => void;
  /** Readline closed by itself (Ctrl-D on an empty line); the prompt is erased by then. */
  readonly onClose: () => void;
}

/** The bottom line with the typed text on it; see the module's comment. */
export interface TypedLine {
  /** Columns the typed text takes (one per character: wide characters are not measured). */
  readonly typedWidth: () => number;
  /** Draws `prompt` (the status line, or '') followed by the typed text, cursor where it was. */
  readonly show: (prompt: string) => void;
  /** Erases the prompt and typed text, leaving the cursor at the start of their first row. */
  readonly hide: () => void;
  /** Erases the line and stops reading; the terminal leaves raw mode. Idempotent. */
  readonly close: () => void;
}

/** `Interface`'s undocumented count of rows above the cursor at its last redraw. */
interface WithPrevRows {
  prevRows?: number;
}

/**
 * Reads lines typed at the terminal `options.input`, drawing them after a prompt.
 * The prompt is drawn only by `show`.
 */
export function openTypedLine(options: TypedLineOptions): TypedLine {
  const { input, write } = options;
  // Readline writes through here. On Enter it ends the line it drew with '\r\n', which would
  // leave the status line and the answer as one line on the screen: from Enter to its 'line'
  // event readline's writes are dropped, the line is erased before, and the view prints the
  // answer on a line of its own.
  let dropping = false;
  const output = new Writable({
    decodeStrings: false,
    write: (chunk: unknown, _encoding, done) => {
      if (!dropping) write(String(chunk));
      done();
    },
  });
  // Readline measures wrapped rows by the output's columns.
  Object.defineProperty(output, 'columns', { get: () => options.columns() ?? 80 });
  let drawn = false;
  let closing = false;
  // Called only once `lines` below exists (on keys, and from the returned functions).
  const hide = (): void => {
    if (!drawn) return;
    const rows = lines.getCursorPos().rows;
    write(`${rows > 0 ? `\x1b[${rows}A` : ''}${CLEAR_DOWN}`);
    // Readline would move up this many rows at its next redraw, into what is printed meanwhile.
    (lines as WithPrevRows).prevRows = 0;
    drawn = false;
  };
  // Before readline's own listener (added by createInterface): hide the line before Enter.
  const beforeKey = (_text: string | undefined, key: { name?: string } | undefined): void => {
    if (key?.name !== 'return' && key?.name !== 'enter') return;
    hide();
    dropping = true;
  };
  const afterKey = (): void => {
    dropping = false;
    if (!closing && drawn) options.onKey();
  };
  emitKeypressEvents(input);
  input.on('keypress', beforeKey);
  const lines = createInterface({ input, output, terminal: true, historySize: 100 });
  input.on('keypress', afterKey);
  lines.on('line', (line: string) => {
    dropping = false;
    options.onLine(line);
  });
  lines.on('SIGINT', () => {
    options.onInterrupt();
  });
  lines.on('close', () => {
    input.off('keypress', beforeKey);
    input.off('keypress', afterKey);
    if (closing) return;
    // Ctrl-D: readline leaves its prompt drawn.
    if (drawn) write(CLEAR_DOWN);
    drawn = false;
    closing = true;
    options.onClose();
  });
  return {
    typedWidth: () => lines.line.length,
    show: (prompt) => {
      if (closing) return;
      lines.setPrompt(prompt);
      lines.prompt(true);
      drawn = true;
    },
    hide,
    close: () => {
      if (closing) return;
      hide();
      closing = true;
      lines.close();
    },
  };
}
