/**
 * Agent text made safe to show on a terminal. Agents write `done:`/`fail:`/`ask:` messages and
 * their output; printed raw, an escape sequence in them could clear the screen, move the
 * cursor, write the clipboard (OSC 52), rename the window, or a carriage return or a
 * bidirectional override could make a question look like something else.
 *
 * The convention: every character a terminal would act on rather than show is replaced by a
 * visible escape in JavaScript's notation, so that a person sees that something was there:
 *
 * | character                                   | shown as              |
 * | ------------------------------------------- | --------------------- |
 * | ESC (starts CSI, OSC, DCS... sequences)     | `\x1b`                |
 * | CR, BS, NL (one-line text), TAB never       | `\r`, `\b`, `\n`      |
 * | other C0 controls, DEL, C1 controls         | `\x07`, `\x7f`, `\x9b`|
 * | bidi embeddings, overrides, isolates, marks; line and paragraph separators | `\u{202e}` |
 *
 * Escaping the introducer disarms a whole sequence: a terminal acts only on a sequence that
 * starts with ESC or a C1 control, and the rest of it (`[2J`, `]52;c;...`) is then plain text
 * that shows as such. Backslashes are not escaped: printable text is left exactly as it was,
 * at the cost of `\x1b` typed as four characters looking like an escaped ESC.
 *
 * Machine outputs (`--json`, `events.jsonl`, `mailbox recv`) keep the exact text.
 */

/** Options of `printable`. */
export interface PrintableOptions {
  /**
   * Keep line feeds (and a CR right before one), for a block of several lines. Default false:
   * one-line text (a log line, a question) shows a line feed as `\n`, so that it cannot start
   * a line that looks like one of the engine's.
   */
  readonly keepNewlines?: boolean;
}

/** Named escapes; the rest are `\xHH` or `\u{H...}`. */
const NAMED: Readonly<Record<string, string>> = { '\r': '\\r', '\b': '\\b', '\n': '\\n', '\x1b': '\\x1b' };

/**
 * C0 controls but TAB, DEL, C1 controls, the Arabic letter mark, LRM/RLM, the line and
 * paragraph separators, the bidi embeddings/overrides (U+202A-U+202E) and isolates
 * (U+2066-U+2069). A CRLF pair is matched whole, to be kept as a newline in a block.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /\r\n|[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The visible form of one unsafe character. */
function escape(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * `text` with every control character, C1 control and bidirectional formatting character
 * replaced by a visible escape (see the table above); TAB is kept, and with `keepNewlines`
 * line feeds too. Printable text, backslashes included, comes back unchanged. Pure.
 *
 * @example printable('done:\x1b[2J all good\r\n') === 'done:\\x1b[2J all good\\r\\n'
 */
export function printable(text: string, options: PrintableOptions = {}): string {
  const keep = options.keepNewlines === true;
  return text.replace(UNSAFE, (match) => {
    if (keep && (match === '\n' || match === '\r\n')) return '\n';
    return match === '\r\n' ? '\\r\\n' : escape(match);
  });
}
