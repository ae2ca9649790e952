/**
 * HANDLE_FAILURE: the exception-handler agent looks at a failed step and answers `FIXED: ...`
 * (retry the step) or anything else (ask a human). Like a step's agent, it has a `timeout` and
 * a `stall` limit (its agent file's frontmatter, else its model file's `timeout` and `stall`; the
 * timeout defaults to `DEFAULT_HANDLER_TIMEOUT_MS`): a handler that hangs is stopped, process tree and all, and the
 * failure goes to a human with the reason.
 */
import { closeSync } from 'node:fs';
import { buildAgentCommand, dispatchEnvironment, type DispatchContext } from '../dispatch/command.js';
import { startAgent } from '../dispatch/spawn.js';
import { linkFileAtomicSync, writeFileAtomic } from '../fs/atomic.js';
import { NO_FOLLOW, openNoFollowSync } from '../fs/guard.js';
import { readTail } from '../fs/tail.js';
import { renderExceptionPrompt } from '../prompt/render.js';
import { formatDurationText } from '../schedule/attributes.js';
import type { Step } from '../schedule/step.js';
import { attemptFiles } from './artifacts.js';
import { waitForAgent } from './wait-agent.js';
import type { EngineContext } from './context.js';
import { parseVerdict } from './reports.js';
import { readText } from './text.js';

/** How long the exception handler may run when its agent file sets no `timeout`, in ms: 30 minutes. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30 * 60_000;

/** The exception handler's decision: `fixed`, and its verdict line (or why there is none). */
export interface HandlerVerdict {
  readonly fixed: boolean;
  readonly line: string;
}

/**
 * Runs the exception-handler agent on a failed step: writes `artifacts/exception-N-attempt-K-prompt.md`
 * (the failed step, the reason, the tail of `outputFile`, the "Verification failed" sections
 * `verification` of `verify/failure.ts` (default none), the log and the state) and reads the
 * last non-empty line of `artifacts/exception-N-attempt-K-output.md`; K counts the handler's runs
 * for step N, and `exception-N-prompt.md`/`exception-N-output.md` are links to the latest
 * (`artifacts.ts`). The handler does not take one of
 * the `--concurrency` slots: it is short, and a full run must still be able to recover.
 *
 * @returns the verdict; `fixed` only for `FIXED: ...` from a handler that exited 0. A handler
 *   stopped for its timeout or a stall gives no verdict: the line says which limit stopped it.
 */
export async function runExceptionHandler(
  ctx: EngineContext,
  step: Step,
  reason: string,
  outputFile: string,
  verification = '',
): Promise<HandlerVerdict> {
  const { handler, handlerModel } = ctx.resolved;
  const prompt = await renderExceptionPrompt({
    step,
    reason,
    planspace: ctx.paths.root,
    codespace: ctx.sources.codespace,
    outputFile,
    // Tails only: an agent's output (and a long run's log) can be far larger than memory.
    output: await readTail(outputFile),
    log: await readTail(ctx.paths.log),
    state: await readText(ctx.paths.state),
    agentBody: handler.body,
    verification,
  });
  const stem = `exception-${step.number}`;
  const files = attemptFiles(ctx.paths.artifacts, stem, ctx.attempts.next(stem));
  const promptFile = files.prompt;
  ctx.artifacts.assertSame();
  await writeFileAtomic(promptFile, prompt);
  linkFileAtomicSync(promptFile, files.latestPrompt);
  const runId = ctx.newRunId(step.number, 'x');
  const dispatch: DispatchContext = {
    planspace: ctx.paths.root,
    codespace: ctx.sources.codespace,
    step: step.number,
    runId,
    agent: 'exception-handler',
    models: [handlerModel.name],
  };
  const env = dispatchEnvironment(dispatch, ctx.environment);
  const handlerOutput = files.output;
  closeSync(openNoFollowSync(handlerOutput, NO_FOLLOW.replace));
  const linked = linkFileAtomicSync(handlerOutput, files.latestOutput);
  await ctx.log(
    { event: 'exception-handler', step: step.number, runId, model: handlerModel.name },
    `step ${step.number} (${step.name}): exception handler started (${handlerModel.name})`,
  );
  ctx.mailbox.expect(runId, step.number);
  try {
    const timeoutMs = handler.timeoutMs ?? handlerModel.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    const stallMs = handler.stallMs ?? handlerModel.stallMs;
    const tree = await ctx.trees.open(runId);
    ctx.artifacts.assertSame();
    const running = startAgent(buildAgentCommand(handlerModel, { text: prompt, file: promptFile }, env, dispatch), {
      cwd: ctx.sources.codespace,
      outputFile: handlerOutput,
      timeoutMs,
      killGraceMs: ctx.timings.killGraceMs,
      tree,
    });
    const { exit, stalled } = await waitForAgent(ctx, running, runId, handlerOutput, stallMs);
    if (!linked) linkFileAtomicSync(handlerOutput, files.latestOutput);
    if ((stalled || exit.timedOut) && !ctx.signal.aborted) {
      const line = stalled
        ? `the exception handler stalled (no output and no message for ${formatDurationText(stallMs ?? 0)}) and was stopped, with no verdict`
        : `the exception handler timed out after ${formatDurationText(timeoutMs)} and was stopped, with no verdict`;
      await ctx.log(
        { event: 'exception-handler-stopped', step: step.number, runId, reason: stalled ? 'stalled' : 'timeout' },
        `step ${step.number} (${step.name}): ${line}`,
      );
      return { fixed: false, line };
    }
    const verdict = parseVerdict(await readTail(handlerOutput));
    if (verdict.fixed && exit.exitCode === 0) return { fixed: true, line: verdict.line };
    return {
      fixed: false,
      line:
        verdict.line === '' ? `the exception handler gave no verdict (exit ${String(exit.exitCode)})` : verdict.line,
    };
  } finally {
    await ctx.mailbox.stopExpecting(runId);
    // A handler's report decides nothing (its verdict is its output's last line).
    await ctx.mailbox.acknowledge(runId);
  }
}
