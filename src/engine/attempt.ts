/**
 * One attempt at one unit (a step, or one block of it): write its prompt, start its agent,
 * wait for it while watching for reports, stalls and aborts, and say how it ended.
 */
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { buildAgentCommand, dispatchEnvironment, type DispatchContext } from '../dispatch/command.js';
import type { ModelSpec } from '../dispatch/models.js';
import { startAgent, type AgentExit, type RunningAgent } from '../dispatch/spawn.js';
import { linkFileAtomicSync, writeFileAtomicSync } from '../fs/atomic.js';
import { assertNotLink, NO_FOLLOW, openNoFollowSync, UnsafePathError } from '../fs/guard.js';
import { renderStepPrompt } from '../prompt/render.js';
import { missingOutputsSection } from '../outputs/prompt.js';
import type { OutputRecord } from '../outputs/record.js';
import { verificationSection, type VerifyFailure } from '../verify/failure.js';
import { attemptFiles, type AttemptFiles } from './artifacts.js';
import { unitLabel, unitStem, type EngineContext, type Unit } from './context.js';
import type { RunReport } from './messages.js';
import { readOutputTail } from './output-tail.js';
import { proveAttempt, recordOutputs, stepInputs } from './outputs-attempt.js';
import { readText } from './text.js';
import { resolveUnitSources, UnitSourceError, type UnitSources } from './unit-sources.js';
import { unitBranchPart, type UnitWorktree } from './isolation.js';
import { openUnitWorktree, settleUnitWorktree } from './unit-worktree.js';
import { waitForAgent } from './wait-agent.js';

/** How an attempt ended. */
export interface AttemptResult {
  readonly runId: string;
  /**
   * How the agent process ended; undefined if none was started: the run was aborted first, or
   * the step's model or ref does not resolve.
   */
  readonly exit: AgentExit | undefined;
  /** The agent's `done:`/`fail:` report, if it sent one. */
  readonly report: RunReport | undefined;
  /** Why the attempt failed (`timeout`, `stalled`, `exit code 3`, ...); undefined if it succeeded. */
  readonly failure: string | undefined;
  /**
   * The agent's output file: this attempt's own `<stem>-attempt-K-output.md`, or
   * `<stem>-output.md` when no agent was started.
   */
  readonly outputFile: string;
  /**
   * For a failed attempt whose agent ran: the last lines of its output (`outputTail`), if it
   * wrote any.
   */
  readonly outputTail?: string;
  /** The attempt's files (`artifacts.ts`); undefined when no agent was started. */
  readonly files?: AttemptFiles;
  /** For an attempt failed by a verification command: how (see `verify/verify.ts`). */
  readonly verification?: VerifyFailure;
  /**
   * For a candidate (`unit.candidate`): its worktree, neither merged nor removed, held for the
   * round's pick (`src/candidates/`); undefined when it could not be made.
   */
  readonly held?: UnitWorktree;
  /** For a candidate: the model it ran with. */
  readonly model?: string;
  /** For a candidate: its declared outputs as found in its worktree, recorded if it is merged. */
  readonly outputs?: readonly OutputRecord[];
}

/** The mailbox name of a unit's agent: `step-N`, `step-N-<block>` or `step-N-candidate-k`. */
export function agentName(unit: Unit): string {
  return unitBranchPart(unit);
}

/**
 * The model of a unit: the step's first; candidate k's is the step's k-th model, cycling
 * (`a,b,c`: a, b, c, a, ...).
 */
export function unitModel(unit: Unit): string {
  const { models } = unit.step;
  return (unit.candidate === undefined ? models[0] : models[(unit.candidate - 1) % models.length]) ?? '';
}

/**
 * Why an attempt failed, or undefined if it succeeded: exit 0 without a `fail:` report (and,
 * when the model requires a report, with a `done:` one), or a `done:` report from an agent that
 * was then stopped for lingering.
 */
function failureReason(
  exit: AgentExit,
  report: RunReport | undefined,
  stalled: boolean,
  model: ModelSpec,
): string | undefined {
  if (report?.kind === 'fail') return `the agent reported: ${report.text}`;
  // A report the mailbox refused (another step's tag) is no report: it never made `report`.
  if (exit.exitCode === 0 && model.report === 'required' && report?.kind !== 'done') {
    return 'exited 0 without a done: report';
  }
  if (exit.exitCode === 0 || (report?.kind === 'done' && exit.stopped)) return undefined;
  if (stalled) return 'stalled';
  if (exit.timedOut) return 'timeout';
  if (exit.failedToStart !== undefined) return `the agent could not start: ${exit.failedToStart}`;
  if (exit.signal !== undefined) return `killed by ${exit.signal}`;
  return `exit code ${String(exit.exitCode)}`;
}

/**
 * Creates this attempt's empty output file and makes `<stem>-output.md` a link to it (or, where
 * there are no hard links, a copy: see `linkFileAtomicSync`).
 *
 * @returns whether `<stem>-output.md` is a link (a copy must be made again when the agent ends).
 * @throws {UnsafePathError} if `<stem>-output.md` or the attempt's file is a symbolic link:
 *   planted there while the run went on, it says something is wrong (`runEngine` refuses one
 *   found at the start).
 */
function prepareOutput(files: AttemptFiles): boolean {
  assertNotLink(files.latestOutput);
  closeSync(openNoFollowSync(files.output, NO_FOLLOW.replace));
  return linkFileAtomicSync(files.output, files.latestOutput);
}

/**
 * Dispatches one attempt of a unit and waits for it to end.
 *
 * Writes `artifacts/<stem>-attempt-K-prompt.md`, starts the step's first model in the
 * codespace with the `WORKFLOW_*` environment (and `WORKFLOW_BLOCK` for a block), streams its
 * output into `artifacts/<stem>-attempt-K-output.md`, and logs the dispatch. K counts the
 * unit's attempts over the planspace's life (`artifacts.ts`); `<stem>-prompt.md` and
 * `<stem>-output.md` are made links to the latest attempt's files. When the agent succeeded,
 * the step's declared outputs are checked and its `verify:` commands run in its working tree
 * (`outputs-attempt.ts`, `verify-attempt.ts`); its outputs are recorded once it has succeeded.
 *
 * Under `isolation: worktree` the agent runs in a worktree of its own (its cwd and
 * `WORKFLOW_CODESPACE`), whose work is merged into the codespace's branch when it succeeds: a
 * merge conflict or refusal fails the attempt (see `unit-worktree.ts`).
 *
 * A candidate (`unit.candidate`) always runs in a worktree, made from `base`, and its work is
 * neither merged nor removed: it comes back `held` for the round's pick (`src/candidates/`).
 *
 * @param attempt - 1 for the first attempt, 2 for the first retry, ... (of this run of the unit).
 * @param base - the commit its worktree is made from; default: the integration head.
 */
export async function runAttempt(
  ctx: EngineContext,
  unit: Unit,
  attempt: number,
  base?: string,
): Promise<AttemptResult> {
  const { step } = unit;
  const runId = ctx.newRunId(step.number);
  const stem = unitStem(unit);
  const outputFile = join(ctx.paths.artifacts, `${stem}-output.md`);
  if (ctx.signal.aborted) return { runId, exit: undefined, report: undefined, failure: 'aborted', outputFile };
  let sources: UnitSources;
  try {
    sources = await resolveUnitSources(ctx, step, unitModel(unit));
  } catch (error) {
    // A step added mid-run, which preflight never saw: it fails, the run goes on.
    if (!(error instanceof UnitSourceError)) throw error;
    return { runId, exit: undefined, report: undefined, failure: `it cannot start: ${error.message}`, outputFile };
  }
  const number = ctx.attempts.next(stem);
  const files = attemptFiles(ctx.paths.artifacts, stem, number);
  const opened = await openUnitWorktree(ctx, unit, number, base);
  if (typeof opened === 'string') {
    return { runId, exit: undefined, report: undefined, failure: opened, outputFile, model: sources.model.name };
  }
  // A candidate stopped while its worktree was being made (it lost the race): no agent starts.
  if (opened !== undefined && unit.candidate !== undefined && isAborted(ctx.signal)) {
    return { runId, exit: undefined, report: undefined, failure: 'aborted', outputFile, held: opened };
  }
  const workdir = opened?.cwd ?? ctx.sources.codespace;
  const dispatched = await dispatchAttempt(ctx, unit, attempt, { runId, sources, files, workdir });
  // Proven (outputs, then verification) in its working tree before its work is merged: a
  // failed proof merges nothing.
  const place = { attempt, number, workdir, isolated: opened !== undefined };
  const { result, outputs } = await proveAttempt(ctx, unit, dispatched, place);
  if (opened === undefined) {
    if (result.failure === undefined) await recordOutputs(ctx, unit, outputs);
    return result;
  }
  // A candidate's work waits for the round's pick (`src/candidates/round.ts`); the winner's
  // outputs are recorded once it is merged.
  if (unit.candidate !== undefined) return { ...result, held: opened, model: sources.model.name, outputs };
  const failure = await settleUnitWorktree(ctx, opened, result.failure, {
    unit,
    attempt: number,
    model: sources.model.name,
  });
  if (failure === undefined) await recordOutputs(ctx, unit, outputs);
  return failure === result.failure ? result : { ...result, failure };
}

/**
 * `signal.aborted`, read anew: TypeScript keeps a check made before an `await` as if it still
 * held after it.
 */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** What `runAttempt` has settled before the agent starts. */
interface AttemptStart {
  readonly runId: string;
  readonly sources: UnitSources;
  readonly files: AttemptFiles;
  /** The agent's working folder: the codespace, or the unit's worktree. */
  readonly workdir: string;
}

/** Writes the attempt's prompt, starts its agent in `workdir`, and waits for it (see `runAttempt`). */
async function dispatchAttempt(
  ctx: EngineContext,
  unit: Unit,
  attempt: number,
  { runId, sources, files, workdir }: AttemptStart,
): Promise<AttemptResult> {
  const { step, block } = unit;
  let outputFile = join(ctx.paths.artifacts, `${unitStem(unit)}-output.md`);
  const agent = agentName(unit);
  const { model, section } = sources;
  const prompt = await renderStepPrompt({
    step,
    block,
    section,
    planspace: ctx.paths.root,
    codespace: workdir,
    state: await readState(ctx.paths.state),
    agent,
    runId,
    guidance: ctx.guidance.get(step.number),
    verification:
      missingOutputsSection(ctx.outputsMissing.get(unitStem(unit))) +
      verificationOf(ctx.verifyFailures.get(unitStem(unit))),
    inputs: await stepInputs(ctx, step, workdir),
    conflicts: ctx.isolation?.conflicts.get(unitBranchPart(unit)),
  });
  // Atomic: the file is the agent's standard input, and an earlier attempt's agent may still
  // be reading the file it was given. Synchronous: agents starting together (64 blocks) each
  // write, spawn and log in one go, with no round trips to the thread pool in between, which
  // on a busy machine competes with the spawns for the processor.
  const promptFile = files.prompt;
  ctx.artifacts.assertSame();
  writeFileAtomicSync(promptFile, prompt);
  linkFileAtomicSync(promptFile, files.latestPrompt);
  const dispatch: DispatchContext = {
    planspace: ctx.paths.root,
    codespace: workdir,
    step: step.number,
    runId,
    agent,
    models: step.models,
    block,
    candidate: unit.candidate,
  };
  const env = dispatchEnvironment(dispatch, ctx.environment);
  ctx.mailbox.expect(runId, step.number);
  try {
    let running: RunningAgent;
    let linked: boolean;
    // A cgroup of its own only where the run may have to stop this agent alone: at its timeout
    // or stall, or a candidate that loses a `judge: first` race (an abort or the run's end kill
    // the run's whole cgroup).
    // The step's own limits win; the model's are for steps that set none.
    const timeoutMs = step.attributes.timeoutMs ?? model.timeoutMs;
    const stallMs = step.attributes.stallMs ?? model.stallMs;
    const ownCgroup = timeoutMs !== undefined || stallMs !== undefined || unit.candidate !== undefined;
    const tree = await ctx.trees.open(runId, { ownCgroup });
    // Outside the catch below: a swapped artifacts/ stops the run, it does not fail a step.
    ctx.artifacts.assertSame();
    try {
      linked = prepareOutput(files);
      outputFile = files.output;
      running = startAgent(buildAgentCommand(model, { text: prompt, file: promptFile }, env, dispatch), {
        cwd: workdir,
        outputFile,
        timeoutMs,
        killGraceMs: ctx.timings.killGraceMs,
        tree,
      });
    } catch (error) {
      // A link planted in place of the output file while the run went on (`runEngine` refuses
      // one found at the start): the agent does not start, and the step fails saying why.
      if (!(error instanceof UnsafePathError)) throw error;
      return { runId, exit: undefined, report: undefined, failure: error.message, outputFile };
    }
    ctx.running(unit, runId, true);
    try {
      const retry = attempt > 1 ? `, attempt ${attempt}` : '';
      await ctx.log(
        {
          event: 'dispatched',
          step: step.number,
          block,
          candidate: unit.candidate,
          attempt,
          runId,
          model: model.name,
          pid: running.pid,
          output: outputFile,
        },
        `${unitLabel(unit)}: dispatched to ${model.name}, run ${runId}${retry}`,
      );
      await ctx.position();
      const { exit, stalled } = await waitForAgent(ctx, running, runId, outputFile, stallMs);
      if (!linked) linkFileAtomicSync(outputFile, files.latestOutput);
      const report = ctx.mailbox.report(runId);
      const failure = ctx.signal.aborted ? 'aborted' : failureReason(exit, report, stalled, model);
      const tail = failure === undefined || failure === 'aborted' ? '' : await readOutputTail(outputFile);
      return { runId, exit, report, failure, outputFile, files, ...(tail !== '' && { outputTail: tail }) };
    } finally {
      ctx.running(unit, runId, false);
    }
  } finally {
    await ctx.mailbox.stopExpecting(runId);
  }
}

/** The "Verification failed" section for a prompt after `failure`; '' for none. */
function verificationOf(failure: VerifyFailure | undefined): string {
  return failure === undefined ? '' : verificationSection([failure], 2);
}

/** Reads of `state.md` in flight, by path. */
const stateReads = new Map<string, Promise<string>>();

/**
 * `state.md` for a prompt. Dispatches that start together (64 blocks) share one read: the
 * state as of a few ms before a prompt is written is all any of them could promise.
 */
function readState(path: string): Promise<string> {
  let read = stateReads.get(path);
  if (read === undefined) {
    read = readText(path).finally(() => stateReads.delete(path));
    stateReads.set(path, read);
  }
  return read;
}
