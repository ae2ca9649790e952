/**
 * Waiting for an agent process to end, as every dispatch does (a unit's attempt, the exception
 * handler, the judge, the planner): stopping it on abort, after the report grace once it has
 * reported, and when it stalls.
 */
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentExit, RunningAgent } from '../dispatch/spawn.js';
import { isErrno } from '../errors.js';
import type { EngineContext } from './context.js';

/** The size of a file in bytes; 0 if it does not exist. */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return 0;
    throw error;
  }
}

/**
 * Waits for an agent to exit. Stops it on abort, after the report grace period once it has
 * reported, and when it stalls: no new output and no message from its run for `stallMs`.
 */
export async function waitForAgent(
  ctx: EngineContext,
  running: RunningAgent,
  runId: string,
  outputFile: string,
  stallMs: number | undefined,
): Promise<{ exit: AgentExit; stalled: boolean }> {
  let exited: AgentExit | undefined;
  const exit = running.exit.then((value) => {
    exited = value;
  });
  const messages = ctx.mailbox.runBell(runId);
  let graceTimer: NodeJS.Timeout | undefined;
  let stalled = false;
  let lastSize = -1;
  let lastActive = Date.now();
  // Look for a stall four times per stall period, at most once every 50 ms and at least once a second.
  const checkMs = stallMs === undefined ? undefined : Math.max(50, Math.min(1000, stallMs / 4));
  try {
    while (!exited) {
      const seen = messages.rings;
      if (ctx.signal.aborted) return { exit: await running.stop(), stalled };
      if (ctx.mailbox.report(runId) !== undefined && !graceTimer) {
        graceTimer = setTimeout(() => void running.stop(), ctx.timings.reportGraceMs ?? 10_000);
      }
      if (stallMs !== undefined && !stalled) {
        const size = await sizeOf(outputFile);
        const now = Date.now();
        if (size !== lastSize) [lastSize, lastActive] = [size, now];
        lastActive = Math.max(lastActive, ctx.mailbox.lastHeard(runId) ?? 0);
        if (now - lastActive >= stallMs) {
          stalled = true;
          void running.stop();
        }
      }
      // One controller per turn releases every waiter of this turn. Only this run's own
      // events wake it: with 64 agents running, a bell for all would wake all 64 each time.
      const turn = new AbortController();
      const woken = [
        exit,
        messages.wait(turn.signal, seen),
        new Promise<void>((resolve) => {
          // The abort may have come during this turn's checks: a listener added now would miss it.
          if (ctx.signal.aborted) resolve();
          ctx.signal.addEventListener(
            'abort',
            () => {
              resolve();
            },
            { once: true, signal: turn.signal },
          );
        }),
      ];
      if (checkMs !== undefined) woken.push(sleep(checkMs, undefined, { signal: turn.signal }).catch(() => undefined));
      await Promise.race(woken);
      turn.abort();
    }
    return { exit: exited, stalled };
  } finally {
    clearTimeout(graceTimer);
  }
}
