/**
 * The text of `workflow candidates`: a title line, one row per candidate (k, model, status,
 * verify, files changed, +added/-removed lines, duration, a `*` under `picked` for the winner),
 * then the pick with its reason, then why each failed or stopped candidate did. Plain lines
 * whatever the terminal (a live view can reprint them); `colours` only tints the status words
 * and the pick. Agents' and the judge's text has its control characters escaped.
 */
import type { CandidateEntry, CandidatesRecord } from '../candidates/record.js';
import { pickSummary } from '../candidates/summary.js';
import { formatDuration } from '../engine/report.js';
import { printable } from '../text/printable.js';
import type { Colours } from './colours.js';

/** The colour of each candidate status. */
const STATUS_COLOURS = { running: 'cyan', eligible: 'green', failed: 'red', stopped: 'yellow' } as const;

const HEADER = ['k', 'model', 'status', 'verify', 'files', '+/-', 'duration', 'picked'] as const;

/** A number the engine has not recorded yet (or never will: a stopped candidate's diff) shows as `-`. */
function orDash(value: number | null | undefined, show: (value: number) => string = String): string {
  return value === null || value === undefined ? '-' : show(value);
}

/** The cells of one candidate's row, uncoloured (widths are measured on these). */
function rowCells(entry: CandidateEntry, picked: number | null): string[] {
  const lines =
    entry.added === null && entry.removed === null ? '-' : `+${orDash(entry.added)}/-${orDash(entry.removed)}`;
  return [
    String(entry.k),
    printable(entry.model),
    printable(entry.status),
    entry.verify ?? '-',
    orDash(entry.filesChanged),
    lines,
    orDash(entry.durationMs, formatDuration),
    entry.k === picked ? '*' : '',
  ];
}

/**
 * The pick line: `picked 2/4 (codex): <reason>`, `none picked: <reason>`, or while the round
 * runs `no candidate picked yet (2 running)`.
 */
export function pickLine(record: CandidatesRecord): string {
  const reason = record.pickReason === null ? '' : `: ${printable(record.pickReason.replace(/\s+/g, ' '))}`;
  if (record.picked !== null) return `${pickSummary(record)}${reason}`;
  const summary = pickSummary(record);
  if (summary !== 'no candidate picked') return summary;
  return `none picked${reason || ': no reason recorded'}`;
}

/**
 * The whole text, without a final newline.
 *
 * @param record - a step's candidates record (see `src/candidates/record.ts`).
 * @param colours - from `makeColours`: plain functions when colour is off.
 */
export function formatCandidatesTable(record: CandidatesRecord, colours: Colours): string {
  const rows = record.candidates.map((entry) => rowCells(entry, record.picked));
  const widths = HEADER.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[], paint: (cell: string, i: number) => string = (cell) => cell): string =>
    cells
      .map((cell, i) => paint(i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0), i))
      .join('  ')
      .trimEnd();
  const body = record.candidates.map((entry, index) =>
    line(rows[index] ?? [], (cell, i) => {
      const colour = STATUS_COLOURS[entry.status];
      if (i === 2 && (colour as string | undefined) !== undefined) return colours[colour](cell);
      return i === HEADER.length - 1 && cell !== '' ? colours.bold(cell) : cell;
    }),
  );
  const title = `step ${record.step}, round ${record.round} of run ${printable(record.runId)}: ${record.candidates.length} candidates, judge ${printable(record.judge)}`;
  const pick = pickLine(record);
  const reasons = record.candidates.flatMap((entry) =>
    entry.reason === null
      ? []
      : [`candidate ${entry.k} ${entry.status}: ${printable(entry.reason.replace(/\s+/g, ' '))}`],
  );
  return [
    title,
    line(HEADER),
    ...body,
    record.picked === null ? colours.yellow(pick) : colours.green(pick),
    ...reasons,
  ].join('\n');
}
