/**
 * Done lines a dead engine did not write. The engine writes `[done]` to the schedule before it
 * logs `done` (so that the log never claims what the schedule does not hold, on a full disk
 * say); an engine killed between the two leaves a step `[done]` without its line. The engine
 * that takes over from a dead one writes those lines, marked `recovered`.
 *
 * Reads `events.jsonl` whole, but only after a dead engine: one line per event, see `log.ts`.
 */
import { logEvent } from '../planspace/log.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import type { Step } from '../schedule/step.js';
import { readText } from './text.js';

/**
 * The steps run `runId` dispatched and the steps it logged done, from `events.jsonl`.
 *
 * @returns empty sets if there is no `events.jsonl` (or a link in its place, never followed).
 * @throws {NotRegularFileError} for a FIFO, socket, device or folder in its place.
 */
async function stepsOfRun(path: string, runId: string): Promise<{ dispatched: Set<number>; done: Set<number> }> {
  const dispatched = new Set<number>();
  const done = new Set<number>();
  const text = await readText(path, Number.POSITIVE_INFINITY);
  let inRun = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let event: { event?: unknown; runId?: unknown; step?: unknown };
    try {
      event = JSON.parse(line) as typeof event;
    } catch (error) {
      // A line someone else damaged says nothing about this run.
      if (error instanceof SyntaxError) continue;
      throw error;
    }
    if (event.event === 'started') inRun = event.runId === runId;
    if (!inRun || typeof event.step !== 'number') continue;
    if (event.event === 'dispatched') dispatched.add(event.step);
    if (event.event === 'done') done.add(event.step);
  }
  return { dispatched, done };
}

/**
 * Logs `done` for every step that dead run `runId` dispatched, that the schedule holds as
 * `[done]`, and that the run never logged done.
 *
 * @param steps - the schedule's steps as read before the takeover.
 * @returns the step numbers logged.
 * @throws the errors of reading `events.jsonl` and of `logEvent`.
 */
export async function logDoneOfDeadRun(
  paths: PlanspacePaths,
  runId: string,
  steps: readonly Step[],
): Promise<number[]> {
  const candidates = steps.filter((step) => step.status === 'done');
  if (candidates.length === 0) return [];
  const { dispatched, done } = await stepsOfRun(paths.events, runId);
  const missing = candidates.filter((step) => dispatched.has(step.number) && !done.has(step.number));
  for (const step of missing) {
    await logEvent(
      paths,
      { event: 'done', step: step.number, runId, recovered: true },
      `step ${step.number} (${step.name}): done (recovered: engine run ${runId} died after writing [done] and before this line)`,
    );
  }
  return missing.map((step) => step.number);
}
