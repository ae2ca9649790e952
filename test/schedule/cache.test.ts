/**
 * `ScheduleCache`, the engine's copy of its schedule: it writes what `takeSteps` would, and it
 * sees every change anyone else makes to the file between two takes (shell verbs in other
 * processes, a step added by hand, an edit in place), with real files and real processes.
 */
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addStep } from '../../src/schedule/add-step.js';
import { ScheduleCache } from '../../src/schedule/cache.js';
import { ScheduleNotFoundError } from '../../src/errors.js';
import { makePlanspace, runWorkflow } from '../helpers.js';

const SCHEDULE = [
  '# Schedule: cache',
  '',
  '[wait] 1. a | m -- one',
  '[wait] 2. b | m -- two',
  '[wait] 3. c | m -- three',
  '',
];

async function setup(): Promise<{
  planspace: string;
  path: string;
  cache: ScheduleCache;
  read: () => Promise<string>;
}> {
  const planspace = await makePlanspace(SCHEDULE.join('\n'));
  const path = join(planspace, 'schedule.md');
  return { planspace, path, cache: new ScheduleCache(path), read: () => readFile(path, 'utf8') };
}

const numbers = (steps: readonly { number: number }[]): number[] => steps.map((step) => step.number);

describe('ScheduleCache', () => {
  it('settles and takes in one write, leaving no temporary file', async () => {
    const { planspace, cache, read } = await setup();
    expect(numbers((await cache.take({ limit: 1 })).started)).toEqual([1]);
    expect(await read()).toContain('[run] 1. a');
    const outcome = await cache.take({ limit: 1, settle: { number: 1, status: 'done' } });
    expect(numbers(outcome.started)).toEqual([2]);
    expect(await read()).toBe(SCHEDULE.join('\n').replace('[wait] 1.', '[done] 1.').replace('[wait] 2.', '[run] 2.'));
    expect((await readdir(planspace)).sort()).toEqual(['schedule.md']);
  });

  it('sees `workflow skip` and `workflow fail` run from a shell between two takes', async () => {
    const { planspace, cache, read } = await setup();
    await cache.take({ limit: 1 });
    expect((await runWorkflow(['skip', planspace, '2'])).code).toBe(0);
    const outcome = await cache.take({ limit: 1, settle: { number: 1, status: 'done' } });
    expect(numbers(outcome.started)).toEqual([3]);
    expect((await runWorkflow(['fail', planspace, '3'])).code).toBe(0);
    const blocked = await cache.take({ limit: 1 });
    expect(blocked.state).toBe('blocked');
    expect(blocked.stuck?.number).toBe(3);
    expect(await read()).toContain('[done] 1. a | m -- one\n[skip] 2. b | m -- two\n[fail] 3. c');
  });

  it('takes a step `workflow add` appended from the new lines alone, and re-reads the whole file after any other edit', async () => {
    const { planspace, path, cache, read } = await setup();
    await cache.take({ limit: 1 });
    expect(cache.fullReads).toBe(1);
    const added = await runWorkflow(['add', planspace, 'd | m -- four', '--needs', '1']);
    expect(added.code).toBe(0);
    const outcome = await cache.take({ settle: { number: 1, status: 'done' } });
    expect(numbers(outcome.started)).toEqual([2, 4]);
    expect(cache.fullReads).toBe(1);
    expect(await read()).toContain(
      '[done] 1. a | m -- one\n[run] 2. b | m -- two\n[wait] 3. c | m -- three\n[run] 4. d | m -- four\n  - needs: 1\n',
    );
    // An edit above the end (and a step appended with it): the whole file is read again.
    const text = await read();
    await writeFile(path, `${text.replace('m -- three', 'm -- three, edited')}[wait] 5. e | m -- five\n  - needs: 4\n`);
    const next = await cache.take({ settle: { number: 4, status: 'done' } });
    expect(numbers(next.started)).toEqual([5]);
    expect(cache.fullReads).toBe(2);
    expect(await read()).toContain('[wait] 3. c | m -- three, edited\n');
  });

  it('reads only the bytes `workflow add` appended when told its versions, and the whole file when they do not lead to it', async () => {
    const { planspace, path, cache, read } = await setup();
    await cache.take({ limit: 1 });
    const size = (await stat(path)).size;
    const first = await addStep(planspace, { line: 'd | m -- four', attributes: [['needs', '1']] });
    const second = await addStep(planspace, { line: 'e | m -- five', attributes: [['needs', '4']] });
    expect(first.appended?.after).toBe(second.appended?.before);
    cache.noteAppend(second.appended?.before ?? '', second.appended?.after ?? '');
    cache.noteAppend(first.appended?.before ?? '', first.appended?.after ?? '');
    // A look without the lock sees both steps, and changes nothing for the take below.
    expect(cache.peekAppended()?.map((step) => [step.number, step.attributes.needs])).toEqual([
      [4, [1]],
      [5, [4]],
    ]);
    const readBefore = cache.bytesRead;
    const appended = (await stat(path)).size - size;
    const outcome = await cache.take({ settle: { number: 1, status: 'done' } });
    expect(numbers(outcome.started)).toEqual([2, 4]);
    // Two appends, one read: the bytes past the cached ones.
    expect(cache.bytesRead - readBefore).toBe(appended);
    expect(cache.fullReads).toBe(1);
    expect(await read()).toContain('[run] 4. d | m -- four\n  - needs: 1\n[wait] 5. e | m -- five\n  - needs: 4\n');
    // Told of an append, but the file was edited by hand after it: read whole, the edit seen.
    const third = await addStep(planspace, { line: 'f | m -- six', attributes: [['needs', '1']] });
    cache.noteAppend(third.appended?.before ?? '', third.appended?.after ?? '');
    expect(cache.peekAppended()?.map((step) => step.number)).toEqual([6]);
    await writeFile(path, (await read()).replace('m -- three', 'm -- three, edited'));
    expect(cache.peekAppended()).toBeUndefined();
    const next = await cache.take({ settle: { number: 4, status: 'done' } });
    expect(numbers(next.started)).toEqual([5, 6]);
    expect(cache.fullReads).toBe(2);
    expect(await read()).toContain('[wait] 3. c | m -- three, edited\n');
    // An add that did not append (--after) gives no versions to tell.
    expect((await addStep(planspace, { line: 'g | m -- seven', after: 1 })).appended).toBeUndefined();
  });

  it('sees a step added by hand mid-run, and keeps it when it writes', async () => {
    const { path, cache, read } = await setup();
    await cache.take({ limit: 1 });
    await writeFile(path, `${await read()}[wait] 4. d | m -- added mid-run\n`);
    await cache.take({ limit: 1, settle: { number: 1, status: 'done' } });
    await cache.take({ limit: 1, settle: { number: 2, status: 'done' } });
    const outcome = await cache.take({ limit: 1, settle: { number: 3, status: 'done' } });
    expect(numbers(outcome.started)).toEqual([4]);
    expect(await read()).toContain('[run] 4. d | m -- added mid-run\n');
  });

  it('sees an edit in place that keeps the size and the inode', async () => {
    const { path, cache, read } = await setup();
    await cache.take({ limit: 1 });
    const before = await stat(path);
    // Same length, same inode: only the content and the mtime change.
    await writeFile(path, (await read()).replace('[wait] 2.', '[skip] 2.'), { flag: 'r+' });
    await utimes(path, before.atime, new Date(before.mtimeMs + 1000));
    expect((await stat(path)).ino).toBe(before.ino);
    const outcome = await cache.take({ limit: 1, settle: { number: 1, status: 'done' } });
    expect(numbers(outcome.started)).toEqual([3]);
    expect(await read()).toContain('[skip] 2. b');
  });

  it('writes the file 0600 whatever its mode was, and refuses a missing schedule without making a lock', async () => {
    const { planspace, path, cache } = await setup();
    const { chmod } = await import('node:fs/promises');
    await chmod(path, 0o640);
    await cache.take({ limit: 1 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const missing = new ScheduleCache(join(planspace, 'nothing', 'schedule.md'));
    await expect(missing.take()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await readdir(planspace)).sort()).toEqual(['schedule.md']);
  });
});
