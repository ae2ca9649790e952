/**
 * The live view keeps its status line the last line of the terminal: event lines and notes
 * (typed answers' replies, on standard error) are written over a cleared line, never after it.
 */
import { describe, expect, it } from 'vitest';
import { makeColours } from '../../src/cli/colours.js';
import { LiveView } from '../../src/cli/live-view.js';
import type { LoggedEvent } from '../../src/planspace/log.js';
import { renderScreen } from '../pty.js';

/** A view writing into a string, redrawn only when told (an hour between timer redraws). */
function makeView(): { view: LiveView; written: () => string; write: (text: string) => void } {
  let written = '';
  const write = (text: string): void => {
    written += text;
  };
  const view = new LiveView({ write, columns: () => 60, colours: makeColours(false), intervalMs: 3_600_000 });
  return { view, written: () => written, write };
}

const dispatched: LoggedEvent = {
  event: 'dispatched',
  step: 1,
  model: 'glm',
  time: new Date().toISOString(),
  message: 'step 1 (x): dispatched to glm',
};

describe('LiveView', () => {
  it('prints a note on a line of its own, then draws the status line again under it', () => {
    const { view, written, write } = makeView();
    view.event(dispatched, 'event line\n');
    view.interject(() => {
      write('answered q1\n');
    });
    view.stop();
    expect(renderScreen(written())).toBe('event line\nanswered q1\n');
  });

  it('never draws the status line wider than the terminal less one column', () => {
    const { view } = makeView();
    view.event({ ...dispatched, model: 'a-model-with-a-very-long-name-indeed-and-more' }, 'event line\n');
    expect(view.status().length).toBeLessThanOrEqual(59);
    view.stop();
  });
});
