/**
 * How a run ends when nothing runs any more (the run loop's NEXT found nothing to start):
 * COMPLETE, the selection done, or BLOCKED; and ABORTED. STOPPED is `stopped.ts`.
 */
import { listAgents } from '../mailbox/registry.js';
import { send } from '../mailbox/send.js';
import type { RunEvent } from '../planspace/log.js';
import { ENGINE_MAILBOX } from '../prompt/render.js';
import { readSchedule, retryStep, type TakeOutcome } from '../schedule/operations.js';
import type { EngineOutcome } from './run-engine.js';
import { describeSelectionEnd } from './select.js';

/** What a run's end needs of the engine. */
export interface EndTarget {
  readonly planspace: string;
  /** Appends to `log.md` and `events.jsonl`. */
  log(event: RunEvent, message: string): Promise<void>;
  /** Rewrites `## Position` in `state.md`. */
  writePosition(text: string): Promise<void>;
}

/**
 * Ends a run in which nothing runs: complete, its selection done, or blocked on the step the
 * last take names. Logs the end and writes it as the position.
 *
 * @param take - the last take, which started nothing.
 * @param only - the run's selection (`--only`/`--from`); undefined for every step.
 */
export async function endRun(
  take: TakeOutcome,
  only: ReadonlySet<number> | undefined,
  target: EndTarget,
): Promise<EngineOutcome> {
  // `takeSteps` counts unselected steps as done: COMPLETE would hide the steps left waiting.
  const selection =
    take.state === 'complete' && only !== undefined
      ? describeSelectionEnd((await readSchedule(target.planspace)).steps, only)
      : undefined;
  if (selection) {
    await target.writePosition(`Selection done: ${selection.summary}.`);
    const { done, skipped, remaining } = selection;
    await target.log(
      { event: 'selection-done', done, skipped, remaining: remaining.length },
      `run done: ${selection.summary}`,
    );
    return { kind: 'selection-done', ...selection };
  }
  if (take.state === 'complete') {
    await target.writePosition('Complete: every step is done or skipped.');
    await target.log({ event: 'complete' }, 'run complete: every step is done or skipped');
    return { kind: 'complete' };
  }
  const stuck = take.stuck ?? (await readSchedule(target.planspace)).steps[0];
  if (stuck === undefined) throw new Error('a schedule with no step is complete, not blocked');
  await target.writePosition(`Blocked at step ${stuck.number} (${stuck.name}).`);
  await target.log(
    { event: 'blocked', step: stuck.number },
    `run blocked: step ${stuck.number} (${stuck.name}) is [${stuck.status}]`,
  );
  return { kind: 'blocked', step: stuck };
}

/**
 * ABORTED, once every agent of the run has stopped: puts the run's `[run]` steps back to
 * `[wait]`, sends `abort` to every registered live agent, logs the abort and writes it as the
 * position.
 *
 * @param ours - the steps the run was running when it aborted.
 */
export async function abortRun(ours: ReadonlySet<number>, target: EndTarget): Promise<EngineOutcome> {
  const steps = (await readSchedule(target.planspace)).steps.filter(
    (step) => step.status === 'run' && ours.has(step.number),
  );
  for (const step of steps) await retryStep(target.planspace, step.number);
  for (const agent of await listAgents(target.planspace)) {
    if (agent.status === 'alive' && agent.name !== ENGINE_MAILBOX) {
      await send(target.planspace, agent.name, 'abort\n', { from: ENGINE_MAILBOX });
    }
  }
  const names = steps.map((step) => `${step.number} (${step.name})`);
  const back =
    names.length === 0
      ? ''
      : `; step${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} back to [wait]`;
  await target.writePosition(`Aborted${back.replace(/^; s/, ': s')}.`);
  await target.log(
    { event: 'aborted', step: steps[0]?.number, steps: steps.map((step) => step.number) },
    `run aborted${back}`,
  );
  return { kind: 'aborted', steps };
}
