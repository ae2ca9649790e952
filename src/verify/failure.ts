/**
 * A failed verification command, and how it is told: the attempt's failure reason
 * (`verify failed: npm test (exit 1)`) and the "Verification failed" section of the next
 * attempt's prompt and of the exception handler's prompt. Pure.
 */
import { formatDurationText } from '../schedule/attributes.js';

/** Lines of a failed command's output that a prompt shows: its last 100. */
export const VERIFY_PROMPT_LINES = 100;

/** How one verification command failed. */
export interface VerifyFailure {
  /** The command as written (`verify:` or `--verify`), run with `sh -c`. */
  readonly command: string;
  /** Its exit code; undefined when a signal ended it or it did not start. */
  readonly exitCode: number | undefined;
  /** The signal that ended it, e.g. `SIGKILL`. */
  readonly signal: string | undefined;
  /** Stopped by the step's `timeout`, after `timeoutMs` ms. */
  readonly timedOut: boolean;
  readonly timeoutMs?: number;
  /** Why `sh` could not be started at all. */
  readonly failedToStart?: string;
  /** The last `VERIFY_PROMPT_LINES` lines of this command's output (standard output and error). */
  readonly output: string;
  /** The attempt's verification output file, `artifacts/<stem>-attempt-K-verify.txt`. */
  readonly file: string;
  /** The block whose attempt it verified, for a step with `blocks:`. */
  readonly block?: string;
}

/** How the command ended: `exit 1`, `timeout after 30s`, `killed by SIGKILL`, `could not start: ...`. */
export function verifyOutcome(failure: VerifyFailure): string {
  if (failure.timedOut)
    return failure.timeoutMs === undefined ? 'timeout' : `timeout after ${formatDurationText(failure.timeoutMs)}`;
  if (failure.failedToStart !== undefined) return `could not start: ${failure.failedToStart}`;
  if (failure.signal !== undefined) return `killed by ${failure.signal}`;
  return `exit ${String(failure.exitCode)}`;
}

/** The attempt's failure reason: `verify failed: <command> (exit N)`. */
export function verifyReason(failure: VerifyFailure): string {
  return `verify failed: ${failure.command} (${verifyOutcome(failure)})`;
}

/** The last `count` lines of `text` (a final newline ends the last line, it starts no new one). */
export function lastLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.slice(-count).join('\n');
}

/** Indents every line by four spaces: a markdown code block that no output can end. */
function indented(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/**
 * The "Verification failed" section of a prompt: for each failure, the command, how it ended
 * and the last lines of its output, with the file holding all of it. '' for no failure.
 *
 * @param level - 2 in the next attempt's step prompt, 3 in the exception handler's prompt
 *   (under its `## The failure`): the heading's level, and whom the text speaks to.
 */
export function verificationSection(failures: readonly VerifyFailure[], level: 2 | 3): string {
  const heading = '#'.repeat(level);
  const intro =
    level === 2
      ? [
          "The previous attempt at this step ended with its agent's success, but then this verification",
          'command, run with `sh -c` in the working tree, failed, so that attempt failed. This attempt',
          'succeeds only if every verification command passes:\n',
        ]
      : [
          'The agent reported success, but then this verification command, run with `sh -c` in its',
          'working tree, failed, so the attempt failed:\n',
        ];
  return failures
    .map((failure) => {
      const title =
        failure.block === undefined ? 'Verification failed' : `Verification failed (block ${failure.block})`;
      const output = failure.output.trim() === '' ? '    (no output)' : indented(failure.output);
      return [
        `\n${heading} ${title}\n`,
        ...intro,
        indented(`$ ${failure.command}\n${verifyOutcome(failure)}`),
        `\nThe last ${VERIFY_PROMPT_LINES} lines of its output (all of it: \`${failure.file}\`):\n`,
        `${output}\n`,
      ].join('\n');
    })
    .join('');
}
