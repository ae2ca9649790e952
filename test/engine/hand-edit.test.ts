/**
 * A hand edit that writes back an older copy of `schedule.md` while the engine runs (issue 17,
 * item 5): the engine knows what it settled in this run and never runs such a step again,
 * whatever the file now says; it logs once why it leaves the step alone.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRun } from './setup.js';

const SCHEDULE = [
  '# Schedule: hand edit',
  '',
  '[wait] 1. first | glm -- does its work once',
  '[wait] 2. rewrite | rewrite -- writes back the schedule as it was before the run',
  '',
].join('\n');

describe('workflow run: a schedule written back by hand', () => {
  it('never runs a step it settled in this run again, and logs why once', async () => {
    const setup = await makeRun({ schedule: SCHEDULE });
    const old = join(setup.root, 'schedule-before-the-run.md');
    await writeFile(old, SCHEDULE);
    // Replaced whole by a rename, as an editor saving a copy would.
    await setup.setModel('rewrite', {
      command: 'sh',
      args: [
        '-c',
        'cp "$OLD" "$WORKFLOW_PLANSPACE/copy.tmp" && mv "$WORKFLOW_PLANSPACE/copy.tmp" "$WORKFLOW_PLANSPACE/schedule.md"',
      ],
      env: { OLD: old },
    });
    const result = await setup.run();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    // Step 1's agent ran exactly once.
    expect((await setup.record(1)).attempt).toBe(1);
    const events = await setup.events();
    expect(events.filter((e) => e.event === 'dispatched').map((e) => e.step)).toEqual([1, 2]);
    expect(events.filter((e) => e.event === 'resumed')).toEqual([]);
    const overruled = events.filter((e) => e.event === 'overruled');
    expect(overruled.map((e) => e.message)).toEqual([
      'step 1 (first) was settled done in this run; schedule.md says [wait]: not run again',
    ]);
    // The hand edit is left as it was for step 1; step 2 is settled.
    expect([...(await setup.statuses()).values()]).toEqual(['wait', 'done']);
  });
});
