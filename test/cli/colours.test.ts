/**
 * When `workflow run` colours its output (`--no-color`, NO_COLOR, FORCE_COLOR, a terminal), and
 * the colour of each event's line.
 */
import { describe, expect, it } from 'vitest';
import { colourEnabled, makeColours } from '../../src/cli/colours.js';
import { eventLine } from '../../src/cli/event-line.js';
import type { LoggedEvent } from '../../src/planspace/log.js';
import { stripAnsi } from '../pty.js';

describe('colourEnabled', () => {
  it.each([
    ['a terminal', {}, true, undefined, true],
    ['a pipe', {}, false, undefined, false],
    ['a dumb terminal', { TERM: 'dumb' }, true, undefined, false],
    ['--no-color on a terminal', {}, true, false, false],
    ['NO_COLOR=1 on a terminal', { NO_COLOR: '1' }, true, undefined, false],
    ['an empty NO_COLOR on a terminal', { NO_COLOR: '' }, true, undefined, true],
    ['FORCE_COLOR=1 on a pipe', { FORCE_COLOR: '1' }, false, undefined, true],
    ['FORCE_COLOR= (empty) on a pipe', { FORCE_COLOR: '' }, false, undefined, true],
    ['FORCE_COLOR=0 on a terminal', { FORCE_COLOR: '0' }, true, undefined, false],
    ['FORCE_COLOR=1 and NO_COLOR=1', { FORCE_COLOR: '1', NO_COLOR: '1' }, true, undefined, false],
    ['FORCE_COLOR=1 and --no-color', { FORCE_COLOR: '1' }, false, false, false],
  ] as const)('%s: %s', (_, env, isTTY, color, want) => {
    expect(colourEnabled({ env, isTTY, color })).toBe(want);
  });
});

describe('eventLine', () => {
  const event = (name: string): LoggedEvent => ({
    event: name,
    time: '2026-11-22T02:30:05.123Z',
    message: `step 1 (x): ${name}`,
  });

  it('is the time of day and the message, plain when colour is off', () => {
    expect(eventLine(event('failed'), makeColours(false))).toBe('02:30:05 step 1 (x): failed\n');
  });

  it.each([
    ['done', '\x1b[32m'],
    ['failed', '\x1b[31m'],
    ['question', '\x1b[33m'],
    ['dispatched', '\x1b[36m'],
  ])('colours a %s line when colour is on', (name, code) => {
    const coloured = eventLine(event(name), makeColours(true));
    expect(coloured).toContain(`${code}step 1 (x): ${name}`);
    expect(stripAnsi(coloured)).toBe(`02:30:05 step 1 (x): ${name}\n`);
  });
});
