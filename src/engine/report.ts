/**
 * `workflow report`: where each step stands and what its runs did, from the schedule, the
 * event log (`events.jsonl`), the questions and the candidates records
 * (`artifacts/step-N-candidates.json`). Reads only.
 */
import { readdir } from 'node:fs/promises';
import { readCandidatesRecord, type CandidatesRecord } from '../candidates/record.js';
import { pickSummary } from '../candidates/summary.js';
import { isErrno } from '../errors.js';
import { planspacePaths } from '../planspace/paths.js';
import { readSchedule } from '../schedule/operations.js';
import { countStatuses, type StatusCounts, type StepStatus } from '../schedule/step.js';
import { printable } from '../text/printable.js';
import { listQuestions } from './questions.js';
import { readText } from './text.js';

/** One step in a report. Times are ISO 8601; undefined where nothing happened yet. */
export interface StepReport {
  readonly number: number;
  readonly name: string;
  readonly status: StepStatus;
  /** Agents dispatched for the step, over every run and block. */
  readonly attempts: number;
  /** The first dispatch. */
  readonly start?: string;
  /** The last settlement: done, failed or skipped. */
  readonly end?: string;
  /** From `start` to `end`, in ms. */
  readonly durationMs?: number;
  /** The exit code of the last settlement: 0 for done; null for an agent ended by a signal. */
  readonly exitCode?: number | null;
  /** The last summary, failure reason (with its output's last lines) or progress note the step's agents gave. */
  readonly lastMessage?: string;
  /**
   * The step's last failure, of an attempt that was retried or of the step: the reason and the
   * last lines of the agent's output, e.g. `exit code 1: Not logged in · Please run /login`.
   */
  readonly lastFailure?: string;
  /** Ids of the step's unanswered questions. */
  readonly pendingQuestions: readonly string[];
  /** For a step that ran candidates: its latest round, from `artifacts/step-N-candidates.json`. */
  readonly candidates?: CandidatesReport;
}

/** Where a step's candidates stand in a report. */
export interface CandidatesReport {
  readonly round: number;
  /** How many candidates the round ran. */
  readonly count: number;
  /** The picked candidate's k, or null. */
  readonly picked: number | null;
  /** The picked candidate's model, or null. */
  readonly model: string | null;
  /** `picked 2/4 (codex)`, `no candidate picked`, or `no candidate picked yet (2 running)`. */
  readonly summary: string;
}

/** A whole report: every step in file order, and totals. */
export interface RunReport {
  readonly steps: readonly StepReport[];
  readonly totals: {
    readonly statuses: StatusCounts;
    readonly attempts: number;
    readonly pendingQuestions: number;
    /** From the first event to the last, in ms; undefined before any run. */
    readonly wallMs?: number;
  };
}

/** The fields of an `events.jsonl` line that a report reads. */
interface Event {
  readonly time: string;
  readonly event: string;
  readonly step?: number;
  readonly summary?: string;
  readonly reason?: string;
  readonly detail?: string;
  readonly outputTail?: string;
  readonly exitCode?: number | null;
}

/** A failure's reason followed by its output's last lines, if the event has them. */
function withTail(event: Event): string | undefined {
  if (event.reason === undefined || event.outputTail === undefined) return event.reason;
  return `${event.reason}: ${event.outputTail}`;
}

/** Parses `events.jsonl`, skipping a line that is not a JSON object (a torn last line). */
function parseEvents(text: string): Event[] {
  const events: Event[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === 'object' && value !== null && 'event' in value && 'time' in value)
        events.push(value as Event);
    } catch {
      // Only the last line can be torn, by a crash mid-write; it carries nothing to report.
    }
  }
  return events;
}

/**
 * Builds the report of a planspace.
 *
 * @throws {ScheduleNotFoundError} / {ScheduleSyntaxError} for a missing or bad schedule.
 */
export async function buildReport(planspace: string): Promise<RunReport> {
  const paths = planspacePaths(planspace);
  const schedule = await readSchedule(planspace);
  const events = parseEvents(await readText(paths.events, Number.POSITIVE_INFINITY));
  const pending = (await listQuestions(paths)).filter((q) => q.answer === undefined && q.cancelled === undefined);
  const candidates = await readCandidateReports(paths.artifacts);
  const steps = schedule.steps.map((step): StepReport => {
    const mine = events.filter((event) => event.step === step.number);
    const dispatches = mine.filter((event) => event.event === 'dispatched');
    const settled = mine.filter((event) => ['done', 'failed', 'skipped'].includes(event.event)).at(-1);
    const said = mine
      .filter((event) => ['done', 'failed', 'progress'].includes(event.event))
      .map((event) => event.summary ?? withTail(event) ?? event.detail)
      .filter((text) => text !== undefined)
      .at(-1);
    const failure = mine.filter((event) => ['failed', 'attempt-failed'].includes(event.event)).at(-1);
    const lastFailure = failure === undefined ? undefined : withTail(failure);
    const start = dispatches[0]?.time;
    const end = settled?.time;
    const durationMs = start !== undefined && end !== undefined ? Date.parse(end) - Date.parse(start) : undefined;
    const exitCode =
      settled?.event === 'done' ? 0 : settled?.event === 'failed' ? (settled.exitCode ?? null) : undefined;
    return {
      number: step.number,
      name: step.name,
      status: step.status,
      attempts: dispatches.length,
      ...(start !== undefined && { start }),
      ...(end !== undefined && { end }),
      ...(durationMs !== undefined && durationMs >= 0 && { durationMs }),
      ...(exitCode !== undefined && { exitCode }),
      ...(said !== undefined && { lastMessage: said }),
      ...(lastFailure !== undefined && { lastFailure }),
      pendingQuestions: pending.filter((q) => q.step === step.number).map((q) => q.id),
      ...(candidates.has(step.number) && { candidates: candidates.get(step.number) }),
    };
  });
  const first = events[0]?.time;
  const last = events.at(-1)?.time;
  return {
    steps,
    totals: {
      statuses: countStatuses(schedule.steps),
      attempts: steps.reduce((sum, step) => sum + step.attempts, 0),
      pendingQuestions: pending.length,
      ...(first !== undefined && last !== undefined && { wallMs: Date.parse(last) - Date.parse(first) }),
    },
  };
}

/** The name of a candidates record in `artifacts/`: `step-N-candidates.json`. */
const RECORD_NAME = /^step-([1-9]\d{0,14})-candidates\.json$/;

/**
 * The candidates of every step that has a record in `artifacts/` (listed once, so that a
 * schedule of many steps costs no read per step), by step number. A record that is not JSON
 * is left out: a report shows what can be read.
 *
 * @throws the `fs` error of listing or reading, except a missing `artifacts/`.
 */
async function readCandidateReports(artifacts: string): Promise<Map<number, CandidatesReport>> {
  let names: string[];
  try {
    names = await readdir(artifacts);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return new Map();
    throw error;
  }
  const reports = new Map<number, CandidatesReport>();
  for (const name of names) {
    const match = RECORD_NAME.exec(name);
    if (!match) continue;
    const step = Number(match[1]);
    let record: CandidatesRecord | undefined;
    try {
      record = await readCandidatesRecord(artifacts, step);
    } catch (error) {
      // A record being replaced is renamed whole, so this is a file someone else wrote: not ours to report.
      if (error instanceof SyntaxError) continue;
      throw error;
    }
    // A file that is JSON but no record (no list of candidates) is left out as well.
    const list: unknown = record?.candidates;
    if (record === undefined || !Array.isArray(list)) continue;
    const picked = typeof record.picked === 'number' ? record.picked : null;
    reports.set(step, {
      round: record.round,
      count: record.candidates.length,
      picked,
      model: record.candidates.find((entry) => entry.k === picked)?.model ?? null,
      summary: pickSummary({ ...record, picked }),
    });
  }
  return reports;
}

/**
 * `350ms`, `4.2s`, `1m 05s` or `2h 03m`, for a duration in ms. Rounded once, to the unit shown,
 * before it is split: 119.5 s is `2m 00s`, never `1m 60s`.
 */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * The report as a text table, one row per step; then the pick of each step that ran
 * candidates (`step 3 candidates: picked 2/4 (codex)`); then the last failure of each step that had
 * one (`step 2 last failure: exit code 1: Not logged in`); then a totals line. Names and messages are
 * shown with their control characters escaped (`printable`); the JSON report keeps them exact.
 */
export function formatReport(report: RunReport): string {
  const time = (iso: string | undefined): string => (iso === undefined ? '-' : iso.slice(11, 19));
  const rows = report.steps.map((step) => [
    String(step.number),
    printable(step.name),
    step.status,
    String(step.attempts),
    time(step.start),
    time(step.end),
    step.durationMs === undefined ? '-' : formatDuration(step.durationMs),
    step.exitCode === undefined ? '-' : step.exitCode === null ? 'signal' : String(step.exitCode),
    step.pendingQuestions.join(',') || '-',
    printable((step.lastMessage ?? '-').replace(/\s+/g, ' ').slice(0, 60)),
  ]);
  const header = [
    'step',
    'name',
    'status',
    'attempts',
    'start',
    'end',
    'duration',
    'exit',
    'questions',
    'last message',
  ];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const { statuses, attempts, pendingQuestions, wallMs } = report.totals;
  const counts = (Object.entries(statuses) as [string, number][])
    .filter(([key, count]) => key !== 'total' && count > 0)
    .map(([key, count]) => `${count} ${key}`)
    .join(', ');
  const totals =
    `total: ${report.steps.length} steps (${counts || 'none'}); ${attempts} attempts; ` +
    `${pendingQuestions} question${pendingQuestions === 1 ? '' : 's'} pending` +
    (wallMs === undefined ? '' : `; ${formatDuration(wallMs)} from first to last event`);
  const failures = report.steps.flatMap((step) =>
    step.lastFailure === undefined ? [] : [`step ${step.number} last failure: ${printable(step.lastFailure)}`],
  );
  const candidates = report.steps.flatMap((step) =>
    step.candidates === undefined ? [] : [`step ${step.number} candidates: ${printable(step.candidates.summary)}`],
  );
  return [line(header), ...rows.map(line), ...candidates, ...failures, totals].join('\n');
}
