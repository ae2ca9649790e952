/**
 * The settle order of a planspace's runs, read from `events.jsonl` for `workflow rollback`.
 */
import { isErrno } from '../errors.js';
import { openRegularFile } from '../fs/regular-file.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import type { SettleMark } from './settled-after.js';

/** The events that settle a step, as `step-run.ts`, `log-take.ts` and `recover.ts` log them. */
const SETTLED = new Set(['done', 'failed', 'skipped']);

/**
 * The `checkpoint`, `done`, `failed` and `skipped` events of `events.jsonl`, in file order,
 * read line by line (the file grows with every run). Lines that are not JSON (damaged by
 * hand) are passed over: they say nothing of the order of the others.
 *
 * @returns none when the file is missing.
 * @throws {NotRegularFileError} when a FIFO, socket, device or folder stands in its place.
 */
export async function readSettleMarks(paths: PlanspacePaths): Promise<SettleMark[]> {
  let handle;
  try {
    handle = await openRegularFile(paths.events);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  const marks: SettleMark[] = [];
  try {
    for await (const line of handle.readLines()) {
      let event: { event?: unknown; step?: unknown };
      try {
        event = JSON.parse(line) as typeof event;
      } catch (error) {
        if (error instanceof SyntaxError) continue;
        throw error;
      }
      if (typeof event.step !== 'number' || typeof event.event !== 'string') continue;
      if (event.event === 'checkpoint') marks.push({ kind: 'checkpoint', step: event.step });
      else if (SETTLED.has(event.event)) marks.push({ kind: 'settled', step: event.step });
    }
  } finally {
    await handle.close();
  }
  return marks;
}
