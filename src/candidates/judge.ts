/**
 * The judge agent of `judge: <model>` (best of N, issue 20): once every candidate of a round
 * has ended, an agent reads the task and every candidate's work and names the one to merge.
 *
 * It runs like the exception handler (`engine/failure.ts`): its agent file `judge.md` is found
 * in `--agents DIR`, then in the package's `agents/`; its body comes first in the prompt
 * (`judge-prompt.ts`); it runs in the codespace under a run id of its own (`newRunId(step, 'j')`)
 * with the `WORKFLOW_*` environment, its mailbox `step-N-judge`, a `timeout` and a `stall`
 * limit; and its verdict is the last non-empty line of its output (`judge-verdict.ts`). Its
 * model is the step's `judge:` value: the `model` of `judge.md`'s frontmatter, which the
 * agent-file format requires, is not used.
 *
 * Files: `artifacts/step-N-judge-attempt-K-prompt.md` and `...-output.md`, K counting the
 * step's judge runs over the planspace's life, with `step-N-judge-prompt.md` and
 * `step-N-judge-output.md` links to the latest (`engine/artifacts.ts`).
 */
import { closeSync } from 'node:fs';
import { AgentFileError, findAgentFile, type AgentFile } from '../dispatch/agent-file.js';
import { buildAgentCommand, dispatchEnvironment, type DispatchContext } from '../dispatch/command.js';
import { findModel, ModelError, modelSearchPath, type ModelSpec } from '../dispatch/models.js';
import { startAgent, type AgentExit } from '../dispatch/spawn.js';
import { attemptFiles } from '../engine/artifacts.js';
import { waitForAgent } from '../engine/wait-agent.js';
import type { EngineContext } from '../engine/context.js';
import { agentSearchPath } from '../engine/preflight.js';
import { linkFileAtomicSync, writeFileAtomic } from '../fs/atomic.js';
import { NO_FOLLOW, openNoFollowSync } from '../fs/guard.js';
import { readTail } from '../fs/tail.js';
import { formatDurationText } from '../schedule/attributes.js';
import type { Step } from '../schedule/step.js';
import { buildJudgePrompt, type JudgeInput } from './judge-prompt.js';
import { lastLine, parseJudgeVerdict, quote, type Pick } from './judge-verdict.js';

export type { JudgeCandidate, JudgeInput } from './judge-prompt.js';
export type { Pick } from './judge-verdict.js';

/** The judge's agent file: `judge.md`. */
export const JUDGE_AGENT = 'judge';

/** How long a judge may run when neither `judge.md` nor its model file sets a `timeout`, in ms: 30 minutes. */
export const DEFAULT_JUDGE_TIMEOUT_MS = 30 * 60_000;

/** The judge's mailbox name (`WORKFLOW_AGENT`) for step `step`: `step-N-judge`. */
export function judgeAgentName(step: number): string {
  return `step-${step}-judge`;
}

/**
 * Runs the judge agent (`judge.md`) with `model` on the candidates of step `step`, and reads
 * its verdict. Does not take one of the `--concurrency` slots (the caller may, through
 * `ctx.slots`). Logs `judge-dispatched` when the judge starts and `judge-verdict` (with `pick`
 * and `reason`) when its verdict is known, in `log.md` and `events.jsonl`.
 *
 * @param model - the step's `judge:` value: a model of the registry (`<model>.toml`), looked
 *   up among the run's resolved models, else in the model search path.
 * @returns the eligible candidate the judge picked and its reason; `{ pick: 'none', reason }`
 *   when it picked none, when its last line is not a PICK line or names a `k` that is not an
 *   eligible candidate, when it exited non-zero, timed out, stalled or could not start, when
 *   `judge.md` or the model is missing or malformed, and when the run was aborted. The reason
 *   says which, quoting what the judge said.
 * @throws the `fs` errors of writing its prompt and output files (a full disk), and
 *   {FolderReplacedError} if `artifacts/` was replaced during the run.
 */
export async function runJudge(ctx: EngineContext, step: Step, model: string, input: JudgeInput): Promise<Pick> {
  const label = `step ${step.number} (${step.name})`;
  const logVerdict = async (verdict: Pick, runId?: string): Promise<Pick> => {
    const picked = verdict.pick === 'none' ? 'picked none' : `picked candidate ${verdict.pick}`;
    await ctx.log(
      { event: 'judge-verdict', step: step.number, runId, model, pick: verdict.pick, reason: verdict.reason },
      `${label}: the judge (${model}) ${picked}: ${verdict.reason}`,
    );
    return verdict;
  };
  let agent: AgentFile;
  let spec: ModelSpec;
  try {
    agent = await findAgentFile(JUDGE_AGENT, agentSearchPath(ctx.sources));
    spec = await judgeModel(ctx, model);
  } catch (error) {
    // Preflight does not see a judge's files: a missing one fails this round's pick, not the run.
    if (!(error instanceof AgentFileError || error instanceof ModelError)) throw error;
    return logVerdict({ pick: 'none', reason: `the judge could not start: ${error.message}` });
  }
  // As a step's attempt: nothing starts once the run is stopping.
  if (ctx.signal.aborted) return logVerdict({ pick: 'none', reason: 'the run was aborted before the judge started' });
  const prompt = buildJudgePrompt(agent.body, input);
  const stem = `step-${step.number}-judge`;
  const files = attemptFiles(ctx.paths.artifacts, stem, ctx.attempts.next(stem));
  ctx.artifacts.assertSame();
  await writeFileAtomic(files.prompt, prompt);
  linkFileAtomicSync(files.prompt, files.latestPrompt);
  const runId = ctx.newRunId(step.number, 'j');
  const dispatch: DispatchContext = {
    planspace: ctx.paths.root,
    codespace: ctx.sources.codespace,
    step: step.number,
    runId,
    agent: judgeAgentName(step.number),
    models: [spec.name],
  };
  const env = dispatchEnvironment(dispatch, ctx.environment);
  closeSync(openNoFollowSync(files.output, NO_FOLLOW.replace));
  const linked = linkFileAtomicSync(files.output, files.latestOutput);
  const eligible = input.candidates.filter((candidate) => candidate.eligible).map((candidate) => candidate.k);
  await ctx.log(
    {
      event: 'judge-dispatched',
      step: step.number,
      runId,
      model: spec.name,
      candidates: input.candidates.length,
      eligible,
      prompt: files.prompt,
      output: files.output,
    },
    `${label}: judge started (${spec.name}) on ${input.candidates.length} candidates, eligible: ${eligible.join(', ') || 'none'}`,
  );
  ctx.mailbox.expect(runId, step.number);
  try {
    const timeoutMs = agent.timeoutMs ?? spec.timeoutMs ?? DEFAULT_JUDGE_TIMEOUT_MS;
    const stallMs = agent.stallMs ?? spec.stallMs;
    // A cgroup of its own, as a step's agent with a time limit has: a judge always has one.
    const tree = await ctx.trees.open(runId, { ownCgroup: true });
    ctx.artifacts.assertSame();
    const running = startAgent(buildAgentCommand(spec, { text: prompt, file: files.prompt }, env, dispatch), {
      cwd: ctx.sources.codespace,
      outputFile: files.output,
      timeoutMs,
      killGraceMs: ctx.timings.killGraceMs,
      tree,
    });
    const { exit, stalled } = await waitForAgent(ctx, running, runId, files.output, stallMs);
    if (!linked) linkFileAtomicSync(files.output, files.latestOutput);
    const output = await readTail(files.output);
    const reported = ctx.mailbox.report(runId)?.kind === 'done';
    const failed = judgeFailure(exit, { stalled, aborted: ctx.signal.aborted, reported }, { timeoutMs, stallMs });
    if (failed === undefined) return await logVerdict(parseJudgeVerdict(output, input.candidates), runId);
    const said = lastLine(output);
    return await logVerdict(
      { pick: 'none', reason: said === '' ? failed : `${failed}; its last line: ${quote(said)}` },
      runId,
    );
  } finally {
    await ctx.mailbox.stopExpecting(runId);
    // A judge's report decides nothing (its verdict is its output's last line).
    await ctx.mailbox.acknowledge(runId);
  }
}

/** The judge's model: among those the run resolved, else read from the model search path. */
async function judgeModel(ctx: EngineContext, model: string): Promise<ModelSpec> {
  const known =
    ctx.resolved.models.get(model) ??
    (ctx.resolved.handlerModel.name === model ? ctx.resolved.handlerModel : undefined);
  if (known) return known;
  return findModel(model, modelSearchPath({ models: ctx.sources.models, codespace: ctx.sources.codespace }));
}

/**
 * Why the judge's run gives no verdict, or undefined when its output decides: it exited 0, or,
 * as for a step's agent, it sent a `done:` report and was stopped for lingering after it.
 * Otherwise: the run was aborted, it stalled, timed out, could not start, was killed or exited
 * non-zero.
 *
 * @param how.reported - the judge sent a `done:` report.
 * @param limits - its timeout and stall limit in ms, for the reason's text.
 */
export function judgeFailure(
  exit: AgentExit,
  how: { readonly stalled: boolean; readonly aborted: boolean; readonly reported: boolean },
  limits: { readonly timeoutMs: number; readonly stallMs: number | undefined },
): string | undefined {
  if (how.aborted) return 'the run was aborted while the judge ran';
  if (how.stalled) {
    return `the judge stalled (no output and no message for ${formatDurationText(limits.stallMs ?? 0)}) and was stopped`;
  }
  if (exit.timedOut) return `the judge timed out after ${formatDurationText(limits.timeoutMs)} and was stopped`;
  if (exit.failedToStart !== undefined) return `the judge could not start: ${exit.failedToStart}`;
  if (exit.exitCode === 0 || (how.reported && exit.stopped)) return undefined;
  if (exit.signal !== undefined) return `the judge was killed by ${exit.signal}`;
  return `the judge exited with code ${String(exit.exitCode)}`;
}
