/**
 * The status line of `workflow run` in a terminal, as pure functions: which units run (from
 * the run's events) and the line's text for a moment and a terminal width.
 *
 * ```text
 * -- 1m05s | step 2 on glm 40s, step 3 block a on opus 12s | 1 question waiting: q1 (type: <id> <answer>)
 * -- 1m05s | 6 running, oldest step 2 on glm 40s | no questions      (when the list does not fit)
 * -- 2s | between steps | no questions
 * ```
 */
import type { LoggedEvent } from '../planspace/log.js';
import type { Colours } from './colours.js';

/** A unit of a step running now: one block's agent, the step's agent, or its exception handler. */
export interface RunningUnit {
  readonly step: number;
  /** The block's id, for a step with `blocks:`. */
  readonly block?: string;
  /** True for the step's exception handler. */
  readonly handler?: boolean;
  /** The model it runs on. */
  readonly model: string;
  /** When it started, in ms since the epoch. */
  readonly since: number;
}

/** What the status line shows. */
export interface RunStatus {
  /** The running units, by `unitKey`. */
  readonly units: ReadonlyMap<string, RunningUnit>;
  /** The ids of the questions waiting for an answer, in the order asked. */
  readonly questions: readonly string[];
}

/** The status before any event: nothing runs, nothing waits. */
export const EMPTY_STATUS: RunStatus = { units: new Map(), questions: [] };

/** Events after which no unit of the run runs. */
const RUN_ENDS = new Set(['aborted', 'complete', 'selection-done', 'stopped']);

/** Events after which no unit of their step runs (each comes once all its units have ended). */
const STEP_ENDS = new Set(['done', 'failed', 'skipped', 'retry', 'blocked', 'fixed', 'exception-handler-stopped']);

/** The key of a unit in `RunStatus.units`. */
function unitKey(step: number, block: string | undefined, handler = false): string {
  return handler ? `${step}/handler` : `${step}/${block ?? ''}`;
}

/**
 * The status after `event`: `dispatched` and `exception-handler` start a unit, `attempt-failed`
 * ends one (a retry dispatches it again), a step's end (`done`, `failed`, ...) or an escalation
 * question ends all of its step's, the run's end all; `question` adds a waiting question,
 * `answered` and `question-cancelled` remove one. A block leaves at its `block-done` or
 * `block-failed`, or at a failed attempt (a retry dispatches it again).
 */
export function nextStatus(status: RunStatus, event: LoggedEvent): RunStatus {
  const step = typeof event.step === 'number' ? event.step : undefined;
  const block = typeof event.block === 'string' ? event.block : undefined;
  let units = status.units;
  let questions = status.questions;
  const change = (edit: (next: Map<string, RunningUnit>) => void): void => {
    const next = new Map(units);
    edit(next);
    units = next;
  };
  if (RUN_ENDS.has(event.event)) units = new Map();
  else if (step !== undefined) {
    const since = Date.parse(event.time);
    const model = String(event.model);
    if (event.event === 'dispatched') {
      change((next) =>
        next.set(unitKey(step, block), { step, ...(block === undefined ? {} : { block }), model, since }),
      );
    } else if (event.event === 'exception-handler') {
      change((next) => next.set(unitKey(step, undefined, true), { step, handler: true, model, since }));
    } else if (event.event === 'attempt-failed' || event.event === 'block-done' || event.event === 'block-failed') {
      change((next) => next.delete(unitKey(step, block)));
    } else if (STEP_ENDS.has(event.event) || (event.event === 'question' && event.kind === 'escalation')) {
      change((next) => {
        for (const [key, unit] of next) if (unit.step === step) next.delete(key);
      });
    }
  }
  const question = typeof event.question === 'string' ? event.question : undefined;
  if (question !== undefined) {
    if (event.event === 'question' && !questions.includes(question)) questions = [...questions, question];
    if (event.event === 'answered' || event.event === 'question-cancelled') {
      questions = questions.filter((id) => id !== question);
    }
  }
  return { units, questions };
}

/** A duration for people: `12s`, `4m05s`, `2h03m`; `ms` in milliseconds, negative as 0. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** `step 3`, `step 3 block a` or `step 3 exception handler`, on its model, and for how long. */
function describeUnit(unit: RunningUnit, now: number): string {
  const what = unit.handler === true ? ' exception handler' : unit.block === undefined ? '' : ` block ${unit.block}`;
  return `step ${unit.step}${what} on ${unit.model} ${formatElapsed(now - unit.since)}`;
}

/** A piece of the line and its colour. */
type Part = readonly [text: string, colour: (text: string) => string];

/** What to draw the line for. */
export interface StatusLineInput {
  readonly status: RunStatus;
  /** When the run started, in ms since the epoch. */
  readonly startedAt: number;
  /** Now, in ms since the epoch. */
  readonly now: number;
  /** The terminal's width in columns; the line is at most one column less, so it never wraps. */
  readonly width: number;
  readonly colours: Colours;
}

/** What the line ends with when cut to the terminal's width. */
const CUT = '...';

/**
 * The status line's text (see the file comment): the run's elapsed time, every running unit
 * (or, when they do not all fit in `width`, their count and the oldest), and the waiting
 * questions. Cut to `width - 1` visible characters, ending with `...` when cut, so that the
 * terminal never wraps it (a wrapped line cannot be cleared and redrawn); colour codes, when
 * `colours` colour, do not count.
 */
export function statusLine({ status, startedAt, now, width, colours }: StatusLineInput): string {
  const room = Math.max(width - 1, CUT.length);
  const units = [...status.units.values()].sort(
    (a, b) => a.since - b.since || a.step - b.step || (a.block ?? '').localeCompare(b.block ?? ''),
  );
  const waiting = status.questions.length;
  const head: Part[] = [
    ['-- ', colours.dim],
    [formatElapsed(now - startedAt), colours.dim],
    [' | ', colours.dim],
  ];
  const tail: Part[] = [
    [' | ', colours.dim],
    waiting === 0
      ? ['no questions', colours.dim]
      : [
          `${waiting} question${waiting === 1 ? '' : 's'} waiting: ${status.questions.join(', ')} (type: <id> <answer>)`,
          colours.yellow,
        ],
  ];
  const all = units.map((unit) => describeUnit(unit, now)).join(', ');
  const oldest = units[0];
  const running: Part =
    oldest === undefined
      ? ['between steps', colours.dim]
      : [
          units.length === 1 || visible([...head, [all, String], ...tail]) <= room
            ? all
            : `${units.length} running, oldest ${describeUnit(oldest, now)}`,
          colours.cyan,
        ];
  return merge(cut([...head, running, ...tail], room))
    .map(([text, colour]) => colour(text))
    .join('');
}

/** `parts` with neighbours of the same colour joined: one colour code for each run of them. */
function merge(parts: readonly Part[]): Part[] {
  const merged: Part[] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    if (last?.[1] === part[1]) merged[merged.length - 1] = [last[0] + part[0], part[1]];
    else merged.push(part);
  }
  return merged;
}

/** The visible length of `parts`. */
function visible(parts: readonly Part[]): number {
  return parts.reduce((sum, [text]) => sum + text.length, 0);
}

/** `parts` cut to `room` visible characters, the last one ending with `CUT` when cut. */
function cut(parts: readonly Part[], room: number): Part[] {
  if (visible(parts) <= room) return [...parts];
  const kept: Part[] = [];
  let left = room - CUT.length;
  for (const [text, colour] of parts) {
    if (text.length >= left) {
      kept.push([`${text.slice(0, left)}${CUT}`, colour]);
      break;
    }
    kept.push([text, colour]);
    left -= text.length;
  }
  return kept;
}
