/**
 * The judge agent's verdict (`judge: <model>`): the last non-empty line of its output must be
 * exactly `PICK: <k> <reason>` or `PICK: none <reason>`. Pure.
 *
 * Strict on purpose: anything else (no such line, a `k` that is not a whole number, a `k` that
 * is not an eligible candidate, markdown around the line) is a pick of none, with a reason that
 * quotes what the judge said, so that a step is never merged on a misread answer.
 */

/** What the judge decided: an eligible candidate's `k`, or `none`; and why. */
export interface Pick {
  readonly pick: number | 'none';
  readonly reason: string;
}

/** A candidate as the verdict needs it: its number, and whether it may be picked and why not. */
export interface PickableCandidate {
  readonly k: number;
  readonly eligible: boolean;
  readonly reason: string | null;
}

/** Most characters of the judge's own text quoted in a reason: a log line, not a dump. */
const QUOTE_MAX_CHARS = 200;

/** `PICK:`, one or more spaces, the choice, then the reason after whitespace (may be absent). */
const PICK_LINE = /^PICK:[ \t]+(\S+)(?:[ \t]+(.*))?$/;

/** The last non-empty line of `output`, trimmed; '' if there is none. */
export function lastLine(output: string): string {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() !== '');
  return (lines.at(-1) ?? '').trim();
}

/** `text` in double quotes, cut to `QUOTE_MAX_CHARS` UTF-16 units with `...`, never inside a surrogate pair. */
export function quote(text: string): string {
  if (text.length <= QUOTE_MAX_CHARS) return JSON.stringify(text);
  const last = text.charCodeAt(QUOTE_MAX_CHARS - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? QUOTE_MAX_CHARS - 1 : QUOTE_MAX_CHARS;
  return JSON.stringify(`${text.slice(0, end)}...`);
}

/**
 * Reads the verdict from the judge's output.
 *
 * @param output - the judge's output (standard output and error), or its tail: only the last
 *   non-empty line counts.
 * @param candidates - every candidate of the round; only an eligible one can be picked.
 * @returns `{ pick: k, reason }` for `PICK: k reason` naming an eligible candidate (the reason
 *   as the judge gave it, `(no reason given)` if it gave none); otherwise `{ pick: 'none' }`
 *   with a reason that says why and quotes the judge: its `PICK: none` reason, a last line
 *   that is not a PICK line, a `k` that is not a number, not a candidate, or not eligible.
 */
export function parseJudgeVerdict(output: string, candidates: readonly PickableCandidate[]): Pick {
  const line = lastLine(output);
  if (line === '') return { pick: 'none', reason: 'the judge gave no verdict (its output is empty)' };
  const match = PICK_LINE.exec(line);
  if (!match) {
    return {
      pick: 'none',
      reason: `the judge's last line is not 'PICK: k <reason>' or 'PICK: none <reason>': ${quote(line)}`,
    };
  }
  const choice = match[1] ?? '';
  const given = (match[2] ?? '').trim();
  const reason = given === '' ? '(no reason given)' : given;
  if (choice === 'none') return { pick: 'none', reason: `the judge picked none: ${reason}` };
  if (!/^\d+$/.test(choice)) {
    return { pick: 'none', reason: `the judge's pick ${quote(choice)} is not a candidate number: ${quote(line)}` };
  }
  const k = Number(choice);
  const candidate = candidates.find((each) => each.k === k);
  if (candidate === undefined) {
    const known = candidates.map((each) => each.k).join(', ');
    return {
      pick: 'none',
      reason: `the judge picked candidate ${k}, which does not exist (candidates ${known}): ${quote(line)}`,
    };
  }
  if (!candidate.eligible) {
    const why = candidate.reason === null ? '' : ` (${candidate.reason})`;
    return { pick: 'none', reason: `the judge picked candidate ${k}, which is not eligible${why}: ${quote(line)}` };
  }
  return { pick: k, reason };
}
