/**
 * The line `workflow run` prints for an event of the run (see `src/planspace/log.ts`): its time
 * of day and its log message (control characters escaped), coloured by what happened when colour is on.
 */
import type { LoggedEvent } from '../planspace/log.js';
import { printable } from '../text/printable.js';
import type { Colours } from './colours.js';

/** The colour of each event's message, by event name; events not named here stay plain. */
const EVENT_COLOURS: Readonly<Record<string, 'green' | 'red' | 'yellow' | 'cyan' | 'magenta'>> = {
  done: 'green',
  'block-done': 'green',
  'verify-passed': 'green',
  merged: 'green',
  fixed: 'green',
  answered: 'green',
  complete: 'green',
  'selection-done': 'green',
  'planner-selected': 'green',
  failed: 'red',
  'block-failed': 'red',
  'attempt-failed': 'red',
  'verify-failed': 'red',
  'merge-failed': 'red',
  'exception-handler-stopped': 'red',
  'planner-failed': 'red',
  'planner-stopped': 'red',
  blocked: 'red',
  aborted: 'red',
  stopped: 'red',
  'protocol-error': 'red',
  question: 'yellow',
  retry: 'yellow',
  skipped: 'yellow',
  'question-cancelled': 'yellow',
  dispatched: 'cyan',
  'verify-started': 'cyan',
  'exception-handler': 'magenta',
  'planner-dispatched': 'magenta',
};

/**
 * An event's line, ending with a newline: `HH:MM:SS message` (UTC, from the event's time), the
 * time dimmed and the message coloured by `EVENT_COLOURS` (a question also bold) when
 * `colours` colour at all.
 */
export function eventLine(event: LoggedEvent, colours: Colours): string {
  const colour = EVENT_COLOURS[event.event];
  // Agents' text escaped, so that it cannot move the cursor or pose as the engine's own lines
  // (`--json` prints the exact text).
  const text = printable(event.message);
  let message = colour === undefined ? text : colours[colour](text);
  if (event.event === 'question') message = colours.bold(message);
  return `${colours.dim(event.time.slice(11, 19))} ${message}\n`;
}
