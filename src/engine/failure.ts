/**
 * HANDLE_FAILURE: the exception-handler agent looks at a failed step and answers `FIXED: ...`
 * (retry the step) or anything else (ask a human).
 */
import { join } from 'node:path';
import { agentEnvironment, buildAgentCommand } from '../dispatch/command.js';
import { startAgent } from '../dispatch/spawn.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { renderExceptionPrompt } from '../prompt/render.js';
import type { Step } from '../schedule/step.js';
import { waitForAgent } from './attempt.js';
import type { EngineContext } from './context.js';
import { parseVerdict } from './reports.js';
import { readText } from './text.js';

/** The exception handler's decision: `fixed`, and its verdict line (or why there is none). */
export interface HandlerVerdict {
  readonly fixed: boolean;
  readonly line: string;
}

/**
 * Runs the exception-handler agent on a failed step: writes `artifacts/exception-N-prompt.md`
 * (the failed step, the reason, the tail of `outputFile`, the log and the state) and reads the
 * last non-empty line of `artifacts/exception-N-output.md`. The handler does not take one of
 * the `--concurrency` slots: it is short, and a full run must still be able to recover.
 *
 * @returns the verdict; `fixed` only for `FIXED: ...` from a handler that exited 0.
 */
export async function runExceptionHandler(
  ctx: EngineContext,
  step: Step,
  reason: string,
  outputFile: string,
): Promise<HandlerVerdict> {
  const { handler, handlerModel } = ctx.resolved;
  const prompt = await renderExceptionPrompt({
    step,
    reason,
    planspace: ctx.paths.root,
    codespace: ctx.sources.codespace,
    outputFile,
    output: await readText(outputFile),
    log: await readText(ctx.paths.log),
    state: await readText(ctx.paths.state),
    agentBody: handler.body,
  });
  const promptFile = join(ctx.paths.artifacts, `exception-${step.number}-prompt.md`);
  await writeFileAtomic(promptFile, prompt);
  const runId = ctx.newRunId(step.number, 'x');
  const env = agentEnvironment(
    {
      planspace: ctx.paths.root,
      codespace: ctx.sources.codespace,
      step: step.number,
      runId,
      agent: 'exception-handler',
      models: [handlerModel.name],
    },
    ctx.commands,
  );
  const handlerOutput = join(ctx.paths.artifacts, `exception-${step.number}-output.md`);
  await ctx.log(
    { event: 'exception-handler', step: step.number, runId, model: handlerModel.name },
    `step ${step.number} (${step.name}): exception handler started (${handlerModel.name})`,
  );
  ctx.mailbox.expect(runId, step.number);
  try {
    const running = startAgent(buildAgentCommand(handlerModel, { text: prompt, file: promptFile }, env), {
      cwd: ctx.sources.codespace,
      outputFile: handlerOutput,
      killGraceMs: ctx.timings.killGraceMs,
      tree: await ctx.trees.open(runId),
    });
    const { exit } = await waitForAgent(ctx, running, runId, handlerOutput, undefined);
    const verdict = parseVerdict(await readText(handlerOutput));
    if (verdict.fixed && exit.exitCode === 0) return { fixed: true, line: verdict.line };
    return {
      fixed: false,
      line:
        verdict.line === '' ? `the exception handler gave no verdict (exit ${String(exit.exitCode)})` : verdict.line,
    };
  } finally {
    ctx.mailbox.stopExpecting(runId);
    // A handler's report decides nothing (its verdict is its output's last line).
    await ctx.mailbox.acknowledge(runId);
  }
}
