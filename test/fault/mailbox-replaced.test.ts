/**
 * The engine's own mailbox broken mid-run: an agent replaces `mailboxes/orchestrator/claims`
 * or `journal` by a symbolic link or a named pipe. The engine's reader refuses either (it
 * follows no link, and opens without blocking so a pipe cannot hang it), and the run stops as
 * on any other file it can no longer use: every agent killed, the planspace released, exit 2
 * with one line naming the file, no stack trace.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProcessesByEnvironment } from '../../src/dispatch/orphans.js';
import { AGENTS_BIN, makeRun, waitFor } from '../engine/setup.js';

const SCHEDULE = '# Schedule: broken mailbox\n\n[wait] 1. break | breaker -- breaks the mailbox\n';

describe.each([
  { file: 'claims', as: 'symlink' },
  { file: 'claims', as: 'fifo' },
  { file: 'journal', as: 'symlink' },
  { file: 'journal', as: 'fifo' },
])('workflow run: mailboxes/orchestrator/$file replaced by a $as mid-run', ({ file, as }) => {
  it('stops the run: exit 2, one line naming the file, no agent left, engine.json gone', async () => {
    const setup = await makeRun({ schedule: SCHEDULE });
    await setup.setModel('breaker', {
      command: join(AGENTS_BIN, 'agent-break-mailbox.js'),
      env: { BREAK_FILE: file, BREAK_AS: as },
    });
    const engine = setup.start();
    const dispatched = await waitFor('the agent to be dispatched', async () => {
      const events = await setup.eventsSoFar();
      return events.find((e) => e.event === 'dispatched');
    });
    setup.track(Number(dispatched.pid));

    const result = await engine.ended;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^[^\\n]*orchestrator/${file}[^\\n]*\\n$`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(findProcessesByEnvironment([`WORKFLOW_PLANSPACE=${setup.planspace}`])).toEqual([]);
    await expect(access(join(setup.planspace, 'engine.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const events = await setup.events();
    expect(events.filter((e) => e.event === 'done')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ event: 'stopped' });
  }, 60_000);
});
