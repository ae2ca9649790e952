/**
 * A reader killed while it writes the mailbox's checkpoint: before the rename (the temporary
 * file is written, the old checkpoint stays) or just after it. Receiver processes that each
 * die at their first checkpoint, one after another, while more messages arrive: no message is
 * lost, none is delivered twice, and the order holds.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { send } from '../../src/index.js';
import { makeTree, readJsonLines, runMailbox } from '../helpers.js';
import { startWorker } from './workers.js';

const FIRST = 600;
const MORE = 40;
const POINTS = ['mailbox-checkpoint-before-rename', 'mailbox-checkpoint-after-rename'];

/** Sequence numbers and bodies' first lines a chaos receiver recorded; a missing file is empty. */
function received(path: string): Promise<{ seq: number; header: string }[]> {
  // A receiver killed before its first message never made its file.
  return readJsonLines<{ seq: number; header: string }>(path);
}

describe('a reader killed while it writes the checkpoint', () => {
  it('before or after the rename, again and again while messages arrive: none lost, none twice, in order', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: checkpoint crash\n' });
    const records = await makeTree({});
    let sent = 0;
    const sendMore = async (count: number): Promise<void> => {
      for (let n = 0; n < count; n += 1, sent += 1) await send(plan, 'hub', `message ${sent}\n`, { from: 'test' });
    };
    await sendMore(FIRST);

    const files: string[] = [];
    const deaths: Record<string, number> = {};
    for (let round = 0; (await runMailbox(['check', plan, 'hub'])).stdout !== '0\n'; round += 1) {
      expect(round, 'receivers keep dying without progress').toBeLessThan(60);
      const point = POINTS[round % POINTS.length] ?? '';
      const file = join(records, `receiver-${round}.jsonl`);
      files.push(file);
      const worker = startWorker('chaos-receiver.js', [plan, 'hub', file], 'ready', { PLANSPACE_FAULT: point });
      const { signal, stderr } = await worker.exited;
      expect(signal, stderr).toBe('SIGKILL');
      deaths[point] = (deaths[point] ?? 0) + 1;
      if (round < 4) await sendMore(MORE);
    }

    const all = (await Promise.all(files.map(received))).flat();
    expect(all.map(({ seq }) => seq)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    expect(all.map(({ header }) => header)).toEqual(Array.from({ length: sent }, (_, i) => `message ${i}`));
    // The crashes did happen where they should.
    expect(deaths[POINTS[0] ?? '']).toBeGreaterThan(1);
    expect(deaths[POINTS[1] ?? '']).toBeGreaterThan(1);
    expect(await runMailbox(['recv', plan, 'hub', '1'])).toMatchObject({ code: 1, stdout: 'TIMEOUT\n' });

    // The temporary files of the writers killed before their rename are removed by the next
    // checkpoint writer; at most the last one is left.
    const temporaries = async (): Promise<string[]> =>
      (await readdir(join(plan, 'mailboxes', 'hub'))).filter((name) => name.endsWith('.tmp'));
    expect((await temporaries()).length).toBeLessThanOrEqual(1);
    await sendMore(200);
    expect(await runMailbox(['drain', plan, 'hub'])).toMatchObject({ code: 0 });
    expect(await temporaries()).toEqual([]);
  }, 120_000);
});
