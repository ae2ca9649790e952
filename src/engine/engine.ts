/**
 * `workflow run`: the event loop that replaces a human or LLM orchestrator (DESIGN.md §5).
 *
 * The loop is a state machine. Each state is a method that does its work and returns the next
 * state; only `run()` moves between them.
 *
 * ## NEXT
 * Take the next step exactly as `workflow next` does. `COMPLETE` ends the run (outcome
 * `complete`), `BLOCKED` ends it (outcome `blocked`); a started or resumed step goes to
 * DISPATCH. A `[run]` step left by a dead engine is resumed here and dispatched under a new
 * run id.
 *
 * ## DISPATCH
 * Write `artifacts/step-N-prompt.md` (the step line, the verbatim skill section, paths,
 * `state.md`, mailbox commands, any human guidance), update `## Position` in `state.md`, and
 * start the step's first model on it in the codespace. Go to WAIT.
 *
 * ## WAIT
 * Wait for the agent to exit. A `done:` or `fail:` report from this run id starts a grace
 * period after which a lingering agent is stopped. Reports carrying another run id are stale:
 * logged and ignored. An abort goes to ABORTED.
 *
 * ## SETTLE
 * Exit 0 is done, anything else (a signal, a timeout, a command that could not start) is a
 * failure, and a `fail:` report from this run overrides a zero exit. Mark the step; a failure
 * goes to HANDLE_FAILURE, anything else to NEXT.
 *
 * ## HANDLE_FAILURE
 * A step that fails again after a fix goes straight to ASK_HUMAN. Otherwise write
 * `artifacts/exception-N-prompt.md` and run the exception-handler agent; if its last line is
 * `FIXED: ...` reset the step to `[wait]` (if the handler did not) and go to NEXT, else go to
 * ASK_HUMAN.
 *
 * ## ASK_HUMAN
 * Record an escalation question and wait for `workflow answer` (or an answer typed at the
 * terminal): `retry` resets the step, `skip` skips it, `abort` ends the run, any other text
 * resets the step and is added to its next prompt as guidance.
 *
 * ## Questions at any time
 * `ask:<tag>:<question>` messages are recorded and announced whenever they arrive; the answer
 * goes to the asker's mailbox as `answer:<text>`.
 *
 * ## ABORTED
 * On abort (SIGINT, SIGTERM, `workflow abort`): stop the agent's process tree, put the step
 * back to `[wait]`, send `abort` to registered live agents, log it, end with outcome `aborted`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { agentEnvironment, buildAgentCommand } from '../dispatch/command.js';
import type { ModelSpec } from '../dispatch/models.js';
import { killOrphanAgents } from '../dispatch/orphans.js';
import { createCommandShims } from '../dispatch/shims.js';
import { startAgent, type AgentExit, type RunningAgent } from '../dispatch/spawn.js';
import { isErrno } from '../errors.js';
import { openInbox, type Inbox } from '../mailbox/receive.js';
import { listAgents } from '../mailbox/registry.js';
import { send } from '../mailbox/send.js';
import { takeHold } from '../planspace/hold.js';
import { logEvent, type LoggedEvent, type RunEvent } from '../planspace/log.js';
import { planspacePaths, type PlanspacePaths } from '../planspace/paths.js';
import { writePosition } from '../planspace/state.js';
import { ENGINE_MAILBOX, renderExceptionPrompt, renderStepPrompt } from '../prompt/render.js';
import { readSkillSection } from '../prompt/skill.js';
import {
  markStep,
  markStepAndTakeNext,
  nextStep,
  readSchedule,
  retryStep,
  type NextOutcome,
} from '../schedule/operations.js';
import type { Step } from '../schedule/step.js';
import { preflight, type Resolved, type Sources } from './preflight.js';
import { EngineMailbox, type RunReport } from './messages.js';
import { cancelStaleQuestions } from './questions.js';
import { parseVerdict } from './reports.js';

/** Options of `runEngine`. */
export interface EngineOptions extends Sources {
  readonly planspace: string;
  /** Stops the run: agents' trees are killed and the running step goes back to `[wait]`. */
  readonly signal?: AbortSignal;
  /** Receives every event as it is logged (for the terminal view or `--json`). */
  readonly onEvent?: (event: LoggedEvent) => void;
  /** After a `done:`/`fail:` report, how long an agent may keep running before it is stopped, in ms. Default 10000. */
  readonly reportGraceMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping an agent, in ms. Default 2000. */
  readonly killGraceMs?: number;
}

/** How a run ended. */
export type EngineOutcome =
  | { readonly kind: 'complete' }
  | { readonly kind: 'blocked'; readonly step: Step }
  | { readonly kind: 'aborted'; readonly step?: Step };

type State =
  | { readonly kind: 'next'; readonly taken?: NextOutcome }
  | { readonly kind: 'dispatch'; readonly step: Step }
  | { readonly kind: 'settle'; readonly step: Step; readonly runId: string; readonly exit: AgentExit }
  | { readonly kind: 'handle-failure'; readonly step: Step; readonly reason: string }
  | { readonly kind: 'ask-human'; readonly step: Step; readonly reason: string }
  | { readonly kind: 'end'; readonly outcome: EngineOutcome };

/**
 * Runs a planspace's schedule to the end.
 *
 * @returns the outcome: `complete`, `blocked` (with the failed step) or `aborted`.
 * @throws {PreflightError} before any agent starts, for unresolvable refs, unknown models or
 *   a missing exception-handler agent file.
 * @throws {PlanspaceBusyError} if another live engine holds the planspace.
 * @throws {ScheduleSyntaxError} / {ScheduleNotFoundError} for a bad or missing schedule.
 */
export async function runEngine(options: EngineOptions): Promise<EngineOutcome> {
  const paths = planspacePaths(resolve(options.planspace));
  const sources: Sources = {
    codespace: resolve(options.codespace),
    skills: options.skills === undefined ? undefined : resolve(options.skills),
    models: options.models === undefined ? undefined : resolve(options.models),
    agents: options.agents === undefined ? undefined : resolve(options.agents),
  };
  const resolved = await preflight(await readSchedule(paths.root), sources);
  const runBase = `r${Date.now().toString(36)}`;
  const { release, previous } = await takeHold(paths, runBase);
  try {
    if (previous) {
      // A dead engine's agents run on in their own process groups: stop them before they report.
      const orphans = killOrphanAgents(paths.root, previous.runId);
      if (orphans.length > 0) {
        await logEvent(
          paths,
          { event: 'orphans-killed', pids: orphans, runId: previous.runId },
          `killed ${orphans.length} agent processes left by a dead engine (run ${previous.runId})`,
        );
      }
    }
    await mkdir(paths.artifacts, { recursive: true });
    const inbox = await openInbox(paths.root, ENGINE_MAILBOX);
    const shims = await createCommandShims();
    try {
      return await new Engine(paths, sources, resolved, runBase, inbox, shims.dir, options).run();
    } finally {
      await shims.remove();
      await inbox.close();
    }
  } finally {
    await release();
  }
}

class Engine {
  readonly #paths: PlanspacePaths;
  readonly #sources: Sources;
  readonly #resolved: Resolved;
  readonly #runBase: string;
  readonly #options: EngineOptions;
  /** The folder with the `workflow` and `mailbox` commands, first on agents' PATH. */
  readonly #commands: string;
  readonly #signal: AbortSignal;
  /** Reports, questions and answers arriving in the engine's mailbox. */
  readonly #mailbox: EngineMailbox;
  /** Steps the exception handler fixed once; a second failure escalates. */
  readonly #fixed = new Set<number>();
  /** Human guidance for a step's next prompt. */
  readonly #guidance = new Map<number, string>();
  #dispatches = 0;
  /** The step last dispatched, for `abort`. */
  #currentStep: number | undefined;

  constructor(
    paths: PlanspacePaths,
    sources: Sources,
    resolved: Resolved,
    runBase: string,
    inbox: Inbox,
    commands: string,
    options: EngineOptions,
  ) {
    this.#commands = commands;
    this.#paths = paths;
    this.#sources = sources;
    this.#resolved = resolved;
    this.#runBase = runBase;
    this.#mailbox = new EngineMailbox(paths, inbox, runBase, (event, message) => this.#log(event, message));
    this.#options = options;
    this.#signal = options.signal ?? new AbortController().signal;
  }

  async run(): Promise<EngineOutcome> {
    await this.#log(
      { event: 'started', runId: this.#runBase, pid: process.pid },
      `engine started (run ${this.#runBase})`,
    );
    for (const question of await cancelStaleQuestions(this.#paths, this.#runBase, 'asked during an earlier run')) {
      await this.#log(
        { event: 'question-cancelled', question: question.id },
        `question ${question.id} cancelled: it was asked during an earlier run`,
      );
    }
    const pumpStop = new AbortController();
    const pump = this.#mailbox.pump(pumpStop.signal);
    let state: State = { kind: 'next' };
    try {
      while (state.kind !== 'end') {
        if (this.#signal.aborted && state.kind !== 'settle') {
          // A step already taken for the next dispatch is [run]: it goes back to [wait] too.
          const taken = state.kind === 'next' && state.taken?.kind === 'started' ? state.taken.step : undefined;
          state = await this.#aborted(taken);
        } else state = await this.#step(state);
      }
      return state.outcome;
    } finally {
      pumpStop.abort();
      await pump;
    }
  }

  #step(state: Exclude<State, { kind: 'end' }>): Promise<State> {
    switch (state.kind) {
      case 'next':
        return this.#next(state.taken);
      case 'dispatch':
        return this.#dispatch(state.step);
      case 'settle':
        return this.#settle(state.step, state.runId, state.exit);
      case 'handle-failure':
        return this.#handleFailure(state.step, state.reason);
      case 'ask-human':
        return this.#askHuman(state.step, state.reason);
    }
  }

  // NEXT
  async #next(taken?: NextOutcome): Promise<State> {
    const outcome = taken ?? (await nextStep(this.#paths.root));
    for (const { step, reason } of outcome.skipped) {
      await this.#log(
        { event: 'skipped', step: step.number, reason },
        `step ${step.number} (${step.name}): skipped, ${reason}`,
      );
    }
    switch (outcome.kind) {
      case 'complete':
        await this.#position('Complete: every step is done or skipped.');
        await this.#log({ event: 'complete' }, 'run complete: every step is done or skipped');
        return { kind: 'end', outcome: { kind: 'complete' } };
      case 'blocked':
        await this.#position(`Blocked at step ${outcome.step.number} (${outcome.step.name}).`);
        await this.#log(
          { event: 'blocked', step: outcome.step.number },
          `run blocked: step ${outcome.step.number} (${outcome.step.name}) is [${outcome.step.status}]`,
        );
        return { kind: 'end', outcome: { kind: 'blocked', step: outcome.step } };
      case 'resumed':
        await this.#log(
          { event: 'resumed', step: outcome.step.number },
          `step ${outcome.step.number} (${outcome.step.name}): was [run] with no engine; dispatching it again`,
        );
        return { kind: 'dispatch', step: outcome.step };
      case 'started':
        return { kind: 'dispatch', step: outcome.step };
    }
  }

  // DISPATCH and WAIT
  async #dispatch(step: Step): Promise<State> {
    this.#dispatches += 1;
    const runId = `${this.#runBase}-${step.number}-${this.#dispatches}`;
    const agent = `step-${step.number}`;
    const model = this.#resolved.models.get(step.models[0] ?? '') as ModelSpec;
    const section =
      step.ref === undefined || this.#sources.skills === undefined
        ? ''
        : await readSkillSection(this.#sources.skills, step.ref);
    const prompt = await renderStepPrompt({
      step,
      section,
      planspace: this.#paths.root,
      codespace: this.#sources.codespace,
      state: await readText(this.#paths.state),
      agent,
      runId,
      guidance: this.#guidance.get(step.number),
    });
    const promptFile = join(this.#paths.artifacts, `step-${step.number}-prompt.md`);
    await writeFile(promptFile, prompt);
    await this.#position(`Step ${step.number} (${step.name}) is running: model ${model.name}, run ${runId}.`);
    const env = agentEnvironment(
      {
        planspace: this.#paths.root,
        codespace: this.#sources.codespace,
        step: step.number,
        runId,
        agent,
        models: step.models,
      },
      this.#commands,
    );
    this.#mailbox.expect(runId, step.number);
    this.#currentStep = step.number;
    const running = await startAgent(buildAgentCommand(model, prompt, env), {
      cwd: this.#sources.codespace,
      outputFile: join(this.#paths.artifacts, `step-${step.number}-output.md`),
      timeoutMs: step.attributes.timeoutMs,
      killGraceMs: this.#options.killGraceMs,
    });
    await this.#log(
      { event: 'dispatched', step: step.number, runId, model: model.name, pid: running.pid },
      `step ${step.number} (${step.name}): dispatched to ${model.name}, run ${runId}`,
    );
    const exit = await this.#wait(running, runId);
    this.#mailbox.stopExpecting();
    return { kind: 'settle', step, runId, exit };
  }

  /** Waits for the agent to exit, stopping it on abort or after a report's grace period. */
  async #wait(running: RunningAgent, runId: string): Promise<AgentExit> {
    let exited: AgentExit | undefined;
    void running.exit.then((exit) => {
      exited = exit;
      this.#mailbox.bell.ring();
    });
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = new AbortController();
    try {
      while (!exited) {
        if (this.#signal.aborted) return await running.stop();
        if (this.#mailbox.report(runId) !== undefined && !graceTimer) {
          graceTimer = setTimeout(() => void running.stop(), this.#options.reportGraceMs ?? 10_000);
        }
        const aborted = new Promise<void>((resolvePromise) => {
          this.#signal.addEventListener(
            'abort',
            () => {
              resolvePromise();
            },
            { once: true, signal: stop.signal },
          );
        });
        await Promise.race([this.#mailbox.bell.wait(stop.signal), aborted]);
      }
      return exited;
    } finally {
      clearTimeout(graceTimer);
      stop.abort();
    }
  }

  // SETTLE
  async #settle(step: Step, runId: string, exit: AgentExit): Promise<State> {
    if (this.#signal.aborted) return this.#aborted(step);
    const report = this.#mailbox.report(runId);
    const summary = report ? `: ${report.text}` : '';
    if (exit.exitCode === 0 && report?.kind !== 'fail') {
      // Marking the step done and taking the next one share one locked read and write.
      const { next } = await markStepAndTakeNext(this.#paths.root, 'done', step.number);
      await this.#log(
        { event: 'done', step: step.number, runId, summary: report?.text },
        `step ${step.number} (${step.name}): done${summary}`,
      );
      this.#fixed.delete(step.number);
      return { kind: 'next', taken: next };
    }
    const reason = failureReason(exit, report);
    await markStep(this.#paths.root, 'fail', step.number);
    await this.#log(
      {
        event: 'failed',
        step: step.number,
        runId,
        reason,
        exitCode: exit.exitCode ?? null,
        signal: exit.signal ?? null,
      },
      `step ${step.number} (${step.name}): failed, ${reason}`,
    );
    return { kind: 'handle-failure', step, reason };
  }

  // HANDLE_FAILURE
  async #handleFailure(step: Step, reason: string): Promise<State> {
    if (this.#fixed.has(step.number)) {
      return { kind: 'ask-human', step, reason: `failed again after a fix: ${reason}` };
    }
    const { handler, handlerModel } = this.#resolved;
    const outputFile = join(this.#paths.artifacts, `step-${step.number}-output.md`);
    const prompt = await renderExceptionPrompt({
      step,
      reason,
      planspace: this.#paths.root,
      codespace: this.#sources.codespace,
      outputFile,
      output: await readText(outputFile),
      log: await readText(this.#paths.log),
      state: await readText(this.#paths.state),
      agentBody: handler.body,
    });
    await writeFile(join(this.#paths.artifacts, `exception-${step.number}-prompt.md`), prompt);
    this.#dispatches += 1;
    const runId = `${this.#runBase}-x${step.number}-${this.#dispatches}`;
    const env = agentEnvironment(
      {
        planspace: this.#paths.root,
        codespace: this.#sources.codespace,
        step: step.number,
        runId,
        agent: 'exception-handler',
        models: [handlerModel.name],
      },
      this.#commands,
    );
    const handlerOutput = join(this.#paths.artifacts, `exception-${step.number}-output.md`);
    await this.#log(
      { event: 'exception-handler', step: step.number, runId, model: handlerModel.name },
      `step ${step.number} (${step.name}): exception handler started (${handlerModel.name})`,
    );
    const running = await startAgent(buildAgentCommand(handlerModel, prompt, env), {
      cwd: this.#sources.codespace,
      outputFile: handlerOutput,
      killGraceMs: this.#options.killGraceMs,
    });
    const exit = await this.#wait(running, runId);
    if (this.#signal.aborted) return this.#aborted(undefined);
    const verdict = parseVerdict(await readText(handlerOutput));
    if (verdict.fixed && exit.exitCode === 0) {
      this.#fixed.add(step.number);
      const current = (await readSchedule(this.#paths.root)).steps.find((s) => s.number === step.number);
      if (current?.status === 'fail') await retryStep(this.#paths.root, step.number);
      await this.#log(
        { event: 'fixed', step: step.number, verdict: verdict.line },
        `step ${step.number} (${step.name}): ${verdict.line}`,
      );
      return { kind: 'next' };
    }
    const why =
      verdict.line === '' ? `the exception handler gave no verdict (exit ${String(exit.exitCode)})` : verdict.line;
    return { kind: 'ask-human', step, reason: why };
  }

  // ASK_HUMAN
  async #askHuman(step: Step, reason: string): Promise<State> {
    const question = await this.#mailbox.ask({
      kind: 'escalation',
      step: step.number,
      asker: 'human',
      question: `Step ${step.number} (${step.name}) needs a decision: ${reason}. Answer retry, skip, abort, or guidance for another attempt.`,
      runId: this.#runBase,
    });
    let answer: string | undefined;
    while ((answer = this.#mailbox.answer(question.id)) === undefined) {
      if (this.#signal.aborted) return this.#aborted(undefined);
      await this.#mailbox.bell.wait(this.#signal);
    }
    const decision = answer.trim().toLowerCase();
    if (decision === 'abort') return this.#aborted(undefined);
    if (decision === 'skip') {
      await markStep(this.#paths.root, 'skip', step.number);
      await this.#log(
        { event: 'skipped', step: step.number, by: 'human' },
        `step ${step.number} (${step.name}): skipped by a human`,
      );
      return { kind: 'next' };
    }
    if (decision !== 'retry') this.#guidance.set(step.number, answer.trim());
    this.#fixed.delete(step.number);
    await retryStep(this.#paths.root, step.number);
    await this.#log(
      { event: 'retry', step: step.number, guidance: decision === 'retry' ? undefined : answer.trim() },
      `step ${step.number} (${step.name}): retry${decision === 'retry' ? '' : ' with guidance from a human'}`,
    );
    return { kind: 'next' };
  }

  // ABORTED
  async #aborted(step: Step | undefined): Promise<State> {
    const number = step?.number ?? this.#currentStep;
    const current = (await readSchedule(this.#paths.root)).steps.find((s) => s.number === number);
    if (current?.status === 'run') await retryStep(this.#paths.root, current.number);
    for (const agent of await listAgents(this.#paths.root)) {
      if (agent.status === 'alive' && agent.name !== ENGINE_MAILBOX) {
        await send(this.#paths.root, agent.name, 'abort\n', { from: ENGINE_MAILBOX });
      }
    }
    await this.#position(
      current ? `Aborted during step ${current.number} (${current.name}); it is back to [wait].` : 'Aborted.',
    );
    await this.#log(
      { event: 'aborted', step: current?.number },
      current ? `run aborted; step ${current.number} (${current.name}) is back to [wait]` : 'run aborted',
    );
    return { kind: 'end', outcome: { kind: 'aborted', step: current } };
  }

  async #position(text: string): Promise<void> {
    await writePosition(
      this.#paths.state,
      `${text}\n\nUpdated ${new Date().toISOString()} by the engine (run ${this.#runBase}).`,
    );
  }

  async #log(event: RunEvent, message: string): Promise<void> {
    const logged = await logEvent(this.#paths, event, message);
    this.#options.onEvent?.(logged);
  }
}

/** Why a step failed, for the log and the exception handler. */
function failureReason(exit: AgentExit, report: RunReport | undefined): string {
  if (report?.kind === 'fail') return `the agent reported: ${report.text}`;
  if (exit.timedOut) return 'timeout';
  if (exit.failedToStart !== undefined) return `the agent could not start: ${exit.failedToStart}`;
  if (exit.signal !== undefined) return `killed by ${exit.signal}`;
  return `exit code ${String(exit.exitCode)}`;
}

/** A file's text, or '' if it does not exist. */
async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return '';
    throw error;
  }
}
