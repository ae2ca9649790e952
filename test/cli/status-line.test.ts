/**
 * The status line of `workflow run` in a terminal, from the run's events: every running unit
 * (steps, blocks, exception handlers), the waiting questions and the elapsed times, cut to the
 * terminal's width, coloured only when colour is on.
 */
import { describe, expect, it } from 'vitest';
import { makeColours } from '../../src/cli/colours.js';
import { EMPTY_STATUS, formatElapsed, nextStatus, statusLine, type RunStatus } from '../../src/cli/status-line.js';
import type { LoggedEvent } from '../../src/planspace/log.js';
import { stripAnsi } from '../pty.js';

const T0 = Date.parse('2026-11-22T02:30:00.000Z');
const plain = makeColours(false);

/** An event at `seconds` after T0. */
function at(seconds: number, event: Omit<LoggedEvent, 'time' | 'message'>): LoggedEvent {
  return { ...event, time: new Date(T0 + seconds * 1000).toISOString(), message: event.event } as LoggedEvent;
}

function replay(events: readonly LoggedEvent[]): RunStatus {
  return events.reduce(nextStatus, EMPTY_STATUS);
}

function line(status: RunStatus, seconds: number, width = 200, colours = plain): string {
  return statusLine({ status, startedAt: T0, now: T0 + seconds * 1000, width, colours });
}

describe('the status line', () => {
  it('shows both of two running steps, each with its model and time, not "between steps"', () => {
    const status = replay([
      at(1, { event: 'dispatched', step: 2, model: 'glm' }),
      at(5, { event: 'dispatched', step: 3, model: 'opus' }),
    ]);
    expect(line(status, 12)).toBe('-- 12s | step 2 on glm 11s, step 3 on opus 7s | no questions');
  });

  it('keeps showing the step still running when the other ends', () => {
    const status = replay([
      at(1, { event: 'dispatched', step: 2, model: 'glm' }),
      at(5, { event: 'dispatched', step: 3, model: 'opus' }),
      at(8, { event: 'done', step: 2 }),
    ]);
    expect(line(status, 70)).toBe('-- 1m10s | step 3 on opus 1m05s | no questions');
  });

  it('shows blocks and the exception handler as units of their step', () => {
    const status = replay([
      at(0, { event: 'dispatched', step: 4, block: 'a', model: 'glm' }),
      at(0, { event: 'dispatched', step: 4, block: 'b', model: 'glm' }),
      at(2, { event: 'attempt-failed', step: 4, block: 'b' }),
      at(3, { event: 'dispatched', step: 5, model: 'm' }),
      at(3, { event: 'failed', step: 5 }),
      at(4, { event: 'exception-handler', step: 5, model: 'handler' }),
    ]);
    expect(line(status, 10)).toBe(
      '-- 10s | step 4 block a on glm 10s, step 5 exception handler on handler 6s | no questions',
    );
  });

  it("drops a block once its agent has ended, while the step's other blocks still run", () => {
    const status = replay([
      at(0, { event: 'dispatched', step: 4, block: 'a', model: 'glm' }),
      at(0, { event: 'dispatched', step: 4, block: 'b', model: 'glm' }),
      at(0, { event: 'dispatched', step: 4, block: 'c', model: 'glm' }),
      at(2, { event: 'block-done', step: 4, block: 'a' }),
      at(3, { event: 'block-failed', step: 4, block: 'c' }),
    ]);
    expect(line(status, 10)).toBe('-- 10s | step 4 block b on glm 10s | no questions');
  });

  it('says "between steps" when nothing runs, and lists the questions waiting', () => {
    const status = replay([
      at(0, { event: 'dispatched', step: 1, model: 'glm' }),
      at(1, { event: 'question', question: 'q1', step: 1, kind: 'ask' }),
      at(2, { event: 'question', question: 'q2', step: 1, kind: 'ask' }),
      at(3, { event: 'answered', question: 'q1' }),
      at(4, { event: 'done', step: 1 }),
    ]);
    expect(line(status, 5)).toBe('-- 5s | between steps | 1 question waiting: q2 (type: <id> <answer>)');
    expect(line(replay([]), 0)).toBe('-- 0s | between steps | no questions');
  });

  it('shows a count and the oldest unit when the list does not fit, and never more than width - 1 columns', () => {
    const events = [1, 2, 3, 4, 5, 6].map((step) => at(step, { event: 'dispatched', step, model: 'claude-opus' }));
    const status = replay(events);
    expect(line(status, 20, 80)).toBe('-- 20s | 6 running, oldest step 1 on claude-opus 19s | no questions');
    const narrow = line(status, 20, 30);
    expect(narrow).toBe('-- 20s | 6 running, oldest...');
    expect(narrow).toHaveLength(29);
    for (const width of [1, 10, 40, 63, 64, 65, 66, 120]) {
      expect(line(status, 20, width).length).toBeLessThanOrEqual(Math.max(width - 1, 3));
    }
  });

  it('colours only when colour is on; the colour codes do not count towards the width', () => {
    const status = replay([at(0, { event: 'dispatched', step: 1, model: 'glm' })]);
    const coloured = line(status, 3, 200, makeColours(true));
    expect(coloured).toContain('\x1b[36mstep 1 on glm 3s\x1b[39m');
    // Neighbouring parts of one colour share one code.
    expect(coloured.startsWith('\x1b[2m-- 3s | \x1b[22m')).toBe(true);
    expect(stripAnsi(coloured)).toBe(line(status, 3));
    expect(line(status, 3)).not.toContain('\x1b');
    const cut = line(status, 3, 20, makeColours(true));
    expect(stripAnsi(cut)).toHaveLength(19);
  });
});

describe('formatElapsed', () => {
  it.each([
    [0, '0s'],
    [59_999, '59s'],
    [60_000, '1m00s'],
    [3_599_000, '59m59s'],
    [3_600_000, '1h00m'],
    [-5, '0s'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});
