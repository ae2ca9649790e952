/**
 * A pseudo-terminal for tests: runs a command as a person at a terminal would, under util-linux
 * `script`, which gives it a PTY as standard input, output and error and its controlling
 * terminal. What the test writes goes to the terminal as keystrokes (`\r` is Enter, `\x03` is
 * Ctrl-C, which the terminal turns into SIGINT for the command's process group), and what the
 * command writes comes back as the screen's bytes, `\r\n` line ends and escape codes included.
 *
 * Every command started here is killed when the test ends, if it still runs (closing the
 * terminal sends its process SIGHUP, as closing a terminal window does).
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { onTestFinished } from 'vitest';
import { childEnv, ROOT } from './helpers.js';

/** Options of `startPty`. */
export interface PtyOptions {
  /** Variables added to the environment (see `childEnv`: NO_COLOR and FORCE_COLOR are not inherited). */
  readonly env?: Readonly<Record<string, string>>;
  /** The terminal's width in columns. Default 100. */
  readonly columns?: number;
  /** Working directory. Default: the repository. */
  readonly cwd?: string;
}

/** How a command under a PTY ended. */
export interface PtyResult {
  /** Its exit code; 128 + the signal's number when a signal ended it (130: SIGINT). */
  readonly code: number;
  /** What the terminal shows at the end, as `screen()` gives it. */
  readonly screen: string;
  /** Everything it wrote to the terminal, byte for byte (escape codes, `\r\n`). */
  readonly raw: string;
}

/** A command running under a pseudo-terminal. */
export interface PtyProcess {
  /** Types `keys` at the terminal: text, `\r` for Enter, `\x03` for Ctrl-C. */
  write(keys: string): void;
  /** The bytes written to the terminal so far, as they came (escape codes, `\r\n`). */
  raw(): string;
  /**
   * What the terminal shows now, scrolled-off lines included (see `renderScreen`): a line
   * cleared and written over shows only its last text; the typed keys are echoed.
   */
  screen(): string;
  /**
   * Waits until `text` has been written to the terminal, also if it was cleared since (the
   * status line): searched in `raw()` without escape codes, `\r\n` read as `\n`, after its
   * first `from` characters.
   *
   * @param timeoutMs - default 30000: generous, for a loaded machine.
   * @returns the length of the screen where `text` ends, for a later `from`.
   * @throws if the time passes or the command ends first; the message shows the screen.
   */
  waitFor(text: string | RegExp, options?: { from?: number; timeoutMs?: number }): Promise<number>;
  /** Resolves when the command has ended and its terminal is closed. */
  readonly ended: Promise<PtyResult>;
}

/** `word` quoted for sh. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Starts `argv` under a new pseudo-terminal of `columns` x 24.
 *
 * @throws if `script` cannot be started (util-linux is missing).
 */
export function startPty(argv: readonly string[], options: PtyOptions = {}): PtyProcess {
  const env = childEnv(options.env);
  // stty sets the terminal's size (a PTY made for a pipe starts at 0 x 0); exec keeps the
  // command the terminal's foreground process, which Ctrl-C signals.
  const command = `stty cols ${options.columns ?? 100} rows 24 && exec ${argv.map(shellQuote).join(' ')}`;
  // -q: no start and end banners; -e: the command's exit code; -f: output as it comes.
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    cwd: options.cwd ?? ROOT,
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  let exited = false;
  const raw = (): string => Buffer.concat(chunks).toString('utf8');
  const screen = (): string => renderScreen(raw());
  const written = (): string => stripAnsi(raw()).replaceAll('\r\n', '\n');
  const ended = new Promise<PtyResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      exited = true;
      resolve({ code: code ?? (signal === null ? -1 : 128), screen: screen(), raw: raw() });
    });
  });
  onTestFinished(async () => {
    if (exited) return;
    // SIGKILL to script closes the terminal: the command gets SIGHUP and cleans up as on Ctrl-C.
    child.kill('SIGKILL');
    await ended;
  });
  return {
    write: (keys) => {
      child.stdin.write(keys);
    },
    raw,
    screen,
    waitFor: async (text, { from = 0, timeoutMs = 30_000 } = {}) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const shown = written();
        const rest = shown.slice(from);
        if (typeof text === 'string') {
          const at = rest.indexOf(text);
          if (at !== -1) return from + at + text.length;
        } else {
          const match = text.exec(rest);
          if (match) return from + match.index + match[0].length;
        }
        if (exited || Date.now() > deadline) {
          const why = exited ? 'the command ended' : `${timeoutMs} ms passed`;
          throw new Error(`${why} before the terminal showed ${String(text)}; it showed:\n${shown}`);
        }
        await sleep(50);
      }
    },
    ended,
  };
}

/** An ANSI control sequence: ESC [ parameters, one final letter. */
// The terminal's escape character is the point here.
// eslint-disable-next-line no-control-regex
const CONTROL_SEQUENCE = /\x1b\[([0-9;?]*)([A-Za-z])/y;

/**
 * What a terminal shows after `raw` was written to it, as lines joined by `\n`: `\r` moves to
 * the line's start and what follows overwrites it; `ESC[2K` clears the line, `ESC[K` (`0K`) the
 * rest of it and `ESC[J` (`0J`) the rest of the screen; `ESC[<n>G` sets the column and
 * `ESC[<n>A/B/C/D` move the cursor, as readline draws its prompt; other escape sequences
 * (colours) show nothing. Enough for the CLI's output, not a terminal emulator: no wrapping,
 * no scrolling region.
 */
export function renderScreen(raw: string): string {
  const lines: string[] = [''];
  let row = 0;
  let column = 0;
  const current = (): string => lines[row] ?? '';
  for (let i = 0; i < raw.length;) {
    const char = raw[i] ?? '';
    if (char === '\x1b') {
      CONTROL_SEQUENCE.lastIndex = i;
      const match = CONTROL_SEQUENCE.exec(raw);
      if (match) {
        const [sequence, parameter = '', final] = match;
        const count = parameter === '' ? 1 : Number(parameter);
        if (final === 'K' && parameter === '2') lines[row] = '';
        else if ((final === 'K' || final === 'J') && (parameter === '' || parameter === '0')) {
          lines[row] = current().slice(0, column);
          if (final === 'J') lines.length = row + 1;
        } else if (final === 'G') column = Math.max(0, count - 1);
        else if (final === 'C') column += count;
        else if (final === 'D') column = Math.max(0, column - count);
        else if (final === 'A') row = Math.max(0, row - count);
        else if (final === 'B') {
          row += count;
          while (lines.length <= row) lines.push('');
        }
        i += sequence.length;
        continue;
      }
    }
    i += 1;
    if (char === '\r') column = 0;
    else if (char === '\n') {
      row += 1;
      if (row === lines.length) lines.push('');
      column = 0;
    } else {
      const line = current();
      lines[row] = line.slice(0, column).padEnd(column) + char + line.slice(column + 1);
      column += 1;
    }
  }
  return lines.join('\n');
}

/** `text` without ANSI escape sequences (colours, clearing the line). */
export function stripAnsi(text: string): string {
  // The terminal's escape character is the point here.
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
