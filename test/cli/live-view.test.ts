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

  it('with text typed after it, cuts the status line so that both fit, and drops it before the text', () => {
    const { view } = makeView();
    let typed = '';
    const prompts: string[] = [];
    view.attach({
      typedWidth: () => typed.length,
      show: (prompt) => prompts.push(prompt),
      hide: () => undefined,
      close: () => undefined,
    });
    view.event({ ...dispatched, model: 'a-model-with-a-very-long-name-indeed-and-more' }, 'event line\n');
    typed = 'q1 use the blue one from the brand guide';
    view.redraw();
    const cut = prompts.at(-1) ?? '';
    expect(cut).toMatch(/^-- /);
    expect(cut.length + typed.length).toBeLessThanOrEqual(59);
    typed = 'x'.repeat(55);
    view.redraw();
    expect(prompts.at(-1)).toBe('');
    view.stop();
  });
});
