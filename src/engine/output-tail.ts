/**
 * The last words of a failed agent, for its failure line (`log.md`, the terminal, the
 * `failed`/`attempt-failed` events' `outputTail`, `workflow report`): an agent that dies
 * with `Not logged in · Please run /login` should say so where a person looks first.
 * An agent's standard output and error go to one file (`spawn.ts`), so this is the tail of
 * that file.
 */
import { readTail } from '../fs/tail.js';
import { printable } from '../text/printable.js';

/** Non-empty lines an output tail keeps. */
export const TAIL_LINES = 3;
/** Characters an output tail keeps at most. */
export const TAIL_CHARS = 300;
/** Bytes read from the end of an output file for its tail: 16 KiB. */
const TAIL_BYTES = 16 * 1024;

/**
 * The last `TAIL_LINES` non-empty lines of `output`, each trimmed and made printable (control
 * characters escaped), joined by ` · `; if longer than `TAIL_CHARS`, its end, after `...`.
 * '' for output with no visible line. Pure.
 *
 * @example outputTail('step 1\nNot logged in\nPlease run /login\n') === 'step 1 · Not logged in · Please run /login'
 */
export function outputTail(output: string): string {
  const lines = output
    .split(/\r?\n/)
    .map((line) => printable(line.trim()))
    .filter((line) => line !== '')
    .slice(-TAIL_LINES);
  const tail = lines.join(' · ');
  return tail.length <= TAIL_CHARS ? tail : `...${tail.slice(tail.length - (TAIL_CHARS - 3))}`;
}

/**
 * `outputTail` of the end of an output file, read at its offset (the file may be huge).
 *
 * @returns '' for a missing file or a link (never followed).
 * @throws {NotRegularFileError} for a FIFO, socket, device or folder.
 */
export async function readOutputTail(file: string): Promise<string> {
  return outputTail(await readTail(file, TAIL_BYTES));
}
