/**
 * PLAN (`workflow run --goal`): before anything is dispatched, the planner agent (agent file
 * `planner.md`, found like `exception-handler.md`: `--agents DIR`, then the package's `agents/`)
 * reads the goal and the schedule, may add steps with `workflow add`, and ends its output with
 * `SELECT: <numbers>` or `SELECT: none <reason>`. The run then takes the selected steps and
 * every step they need, as `--only` would.
 *
 * Like the exception handler, it has a `timeout` and a `stall` limit (its agent file's
 * frontmatter, else its model file's; the timeout defaults to `DEFAULT_PLANNER_TIMEOUT_MS`), its
 * files are `artifacts/planner-attempt-K-prompt.md` and `-output.md` with the latest linked as
 * `planner-prompt.md`/`planner-output.md`, and it is logged (`planner-dispatched`,
 * `planner-selected`, `planner-failed`, `planner-stopped`). It runs with no `WORKFLOW_STEP`: a step it adds is not
 * one that some step of the schedule added, and needs no step it did not name.
 */
import { closeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentBaseEnvironment, agentPath, buildAgentCommand, dispatchEnvironment } from '../dispatch/command.js';
import type { DispatchContext } from '../dispatch/command.js';
import { findAgentFile, type AgentFile } from '../dispatch/agent-file.js';
import { locateCommand } from '../dispatch/locate.js';
import { findModel, modelSearchPath, type ModelSpec } from '../dispatch/models.js';
import { AGENT_COMMANDS } from '../dispatch/shims.js';
import { startAgent, type AgentExit, type RunningAgent } from '../dispatch/spawn.js';
import type { ProcessTrees } from '../dispatch/trees.js';
import { isErrno, PlannerError } from '../errors.js';
import { linkFileAtomicSync, writeFileAtomic } from '../fs/atomic.js';
import { NO_FOLLOW, openNoFollowSync } from '../fs/guard.js';
import { readTail } from '../fs/tail.js';
import type { RunEvent } from '../planspace/log.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import { renderPlannerPrompt } from '../prompt/planner-prompt.js';
import { formatDurationText } from '../schedule/attributes.js';
import { readSchedule } from '../schedule/operations.js';
import type { Schedule } from '../schedule/step.js';
import { AttemptNumbers, attemptFiles } from './artifacts.js';
import { parsePlannerAnswer } from './planner-answer.js';
import { agentSearchPath, PreflightError, type Sources } from './preflight.js';
import { withNeeds } from './select.js';
import { readText } from './text.js';

/** How long the planner may run when neither its agent file nor its model sets a `timeout`, in ms: 30 minutes. */
export const DEFAULT_PLANNER_TIMEOUT_MS = 30 * 60_000;

/** The planner's agent file and the model that runs it. */
export interface ResolvedPlanner {
  readonly agent: AgentFile;
  readonly model: ModelSpec;
}

/**
 * Finds `planner.md` (in `--agents DIR`, then the package's `agents/`) and its model, and checks
 * that the model's command can be started, as `preflight` does for the exception handler.
 *
 * @throws {PreflightError} naming every problem: no agents folder at `--agents`, no or a
 *   malformed `planner.md`, an unknown model, a command not on the agents' `PATH`.
 */
export async function findPlanner(sources: Sources): Promise<ResolvedPlanner> {
  if (sources.agents !== undefined && !(await isFolder(sources.agents))) {
    throw new PreflightError([`planner: no agents folder at ${sources.agents}, so no planner.md there`]);
  }
  let agent: AgentFile;
  let model: ModelSpec;
  try {
    agent = await findAgentFile('planner', agentSearchPath(sources));
    model = await findModel(agent.model, modelSearchPath({ models: sources.models, codespace: sources.codespace }));
  } catch (error) {
    throw new PreflightError([`planner: ${(error as Error).message}`]);
  }
  const path = model.env.PATH ?? agentPath(AGENT_COMMANDS, process.env.PATH);
  const lookup = await locateCommand(model.command, { cwd: sources.codespace, path });
  if (!lookup.found) {
    throw new PreflightError([`planner (${agent.file}): ${model.file}: command '${model.command}' ${lookup.reason}`]);
  }
  return { agent, model };
}

/** What the planner chose. */
export type PlannerChoice =
  | {
      readonly kind: 'select';
      /** The step numbers of its `SELECT:` line, in its order. */
      readonly selected: readonly number[];
      /** The steps the run takes: the selected ones and every step they need, in file order. */
      readonly steps: readonly number[];
      /** The schedule as the planner left it (with the steps it added). */
      readonly schedule: Schedule;
    }
  | { readonly kind: 'none'; readonly reason: string }
  /** The run was aborted while the planner ran; its process tree was stopped. */
  | { readonly kind: 'aborted' };

/** What `runPlanner` needs. */
export interface PlannerRun {
  /** The user's `--goal` text. */
  readonly goal: string;
  readonly paths: PlanspacePaths;
  readonly sources: Sources;
  readonly planner: ResolvedPlanner;
  /** The planner dispatch's run id (`WORKFLOW_RUN_ID`). */
  readonly runId: string;
  /** The folder its prompt and output go to: `artifacts/`, or `artifacts/dry-run/` for a dry run. */
  readonly folder: string;
  /** Where its processes are tracked, to be killed with it. */
  readonly trees: ProcessTrees;
  /** Stops the planner (process tree and all); the choice is then `aborted`. */
  readonly signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL when stopping it, in ms. Default 2000. */
  readonly killGraceMs?: number;
  /** Writes an event to the log (and the terminal view). */
  readonly log: (event: RunEvent, message: string) => Promise<void>;
}

/**
 * Runs the planner on the goal and the schedule as it stands (see the file comment), then reads
 * the schedule again (the planner may have added steps) and works out what the run takes.
 *
 * @returns `select` with the selected steps and their needs, `none` with the planner's reason,
 *   or `aborted`.
 * @throws {PlannerError} after logging `planner-failed`, when the planner exited non-zero,
 *   could not start, timed out or stalled, or its last non-empty line is no `SELECT:` line or
 *   selects a step the schedule lacks; the message quotes that line and names the output file.
 * @throws the errors of `readSchedule` for a schedule the planner left unreadable.
 */
export async function runPlanner(run: PlannerRun): Promise<PlannerChoice> {
  const { paths, sources, planner } = run;
  const before = await readSchedule(paths.root);
  const prompt = await renderPlannerPrompt({
    goal: run.goal,
    planspace: paths.root,
    codespace: sources.codespace,
    scheduleFile: paths.schedule,
    steps: before.steps,
    state: await readText(paths.state),
    agentBody: planner.agent.body,
  });
  const files = attemptFiles(run.folder, 'planner', new AttemptNumbers(run.folder).next('planner'));
  await writeFileAtomic(files.prompt, prompt);
  linkFileAtomicSync(files.prompt, files.latestPrompt);
  const dispatch: DispatchContext = {
    planspace: paths.root,
    codespace: sources.codespace,
    step: 0,
    runId: run.runId,
    agent: 'planner',
    models: [planner.model.name],
  };
  const env = dispatchEnvironment(dispatch, agentBaseEnvironment(AGENT_COMMANDS));
  // Also when the engine itself runs inside an agent: `workflow add` would make every step the
  // planner adds need that step.
  delete env.WORKFLOW_STEP;
  closeSync(openNoFollowSync(files.output, NO_FOLLOW.replace));
  const linked = linkFileAtomicSync(files.output, files.latestOutput);
  await run.log(
    { event: 'planner-dispatched', runId: run.runId, model: planner.model.name, goal: run.goal },
    `planner started (${planner.model.name}), run ${run.runId}, for the goal: ${run.goal}`,
  );
  const timeoutMs = planner.agent.timeoutMs ?? planner.model.timeoutMs ?? DEFAULT_PLANNER_TIMEOUT_MS;
  const stallMs = planner.agent.stallMs ?? planner.model.stallMs;
  const tree = await run.trees.open(run.runId);
  const running = startAgent(buildAgentCommand(planner.model, { text: prompt, file: files.prompt }, env, dispatch), {
    cwd: sources.codespace,
    outputFile: files.output,
    timeoutMs,
    killGraceMs: run.killGraceMs,
    signal: run.signal,
    tree,
  });
  const { exit, stalled } = await waitForPlanner(running, files.output, stallMs);
  if (!linked) linkFileAtomicSync(files.output, files.latestOutput);
  if (run.signal?.aborted === true) {
    await run.log(
      { event: 'planner-stopped', runId: run.runId },
      'planner stopped: the run was aborted before it answered; nothing was dispatched',
    );
    return { kind: 'aborted' };
  }
  const answer = parsePlannerAnswer(await readTail(files.output));
  const quoted = answer.line === '' ? 'it printed nothing' : `its last line: '${answer.line}'`;
  const fail = async (why: string): Promise<never> => {
    const message = `${why}; ${quoted} (output: ${files.output}); nothing was dispatched`;
    await run.log({ event: 'planner-failed', runId: run.runId, line: answer.line }, message);
    throw new PlannerError(message, answer.line);
  };
  if (stalled) {
    return fail(`the planner stalled (no output for ${formatDurationText(stallMs ?? 0)}) and was stopped`);
  }
  if (exit.timedOut) return fail(`the planner timed out after ${formatDurationText(timeoutMs)} and was stopped`);
  if (exit.exitCode !== 0) return fail(`the planner failed (${exitText(exit)})`);
  if (answer.kind === 'invalid') {
    return fail("the planner's answer is not 'SELECT: <step numbers>' or 'SELECT: none <reason>'");
  }
  if (answer.kind === 'none') {
    const reason = answer.reason === '' ? '(no reason given)' : answer.reason;
    await run.log(
      { event: 'planner-selected', runId: run.runId, selected: [], steps: [], reason },
      `planner selected nothing: ${reason}`,
    );
    return { kind: 'none', reason };
  }
  const schedule = await readSchedule(paths.root);
  const missing = answer.steps.filter((n) => !schedule.steps.some((step) => step.number === n));
  if (missing.length > 0) {
    return fail(
      `the planner selected step${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, not in ${paths.schedule}`,
    );
  }
  const steps = withNeeds(schedule.steps, answer.steps);
  await run.log(
    { event: 'planner-selected', runId: run.runId, selected: answer.steps, steps },
    `planner selected step${answer.steps.length === 1 ? '' : 's'} ${answer.steps.join(', ')}; the run takes step${steps.length === 1 ? '' : 's'} ${steps.join(', ')}`,
  );
  return { kind: 'select', selected: answer.steps, steps, schedule };
}

/** `exit code 3`, `killed by SIGKILL`, or why it could not start. */
function exitText(exit: AgentExit): string {
  if (exit.failedToStart !== undefined) return `it could not start: ${exit.failedToStart}`;
  if (exit.signal !== undefined) return `killed by ${exit.signal}`;
  return `exit code ${String(exit.exitCode)}`;
}

/**
 * Waits for the planner to exit; with `stallMs`, stops it once its output has not grown for
 * that long. The planner sends no messages that count (its answer is its output), so, unlike a
 * step's agent (`waitForAgent`), only its output shows that it is at work.
 */
async function waitForPlanner(
  running: RunningAgent,
  outputFile: string,
  stallMs: number | undefined,
): Promise<{ exit: AgentExit; stalled: boolean }> {
  if (stallMs === undefined) return { exit: await running.exit, stalled: false };
  // Four looks per stall period, at most once every 50 ms and at least once a second.
  const checkMs = Math.max(50, Math.min(1000, stallMs / 4));
  let exited: AgentExit | undefined;
  const exit = running.exit.then((value) => {
    exited = value;
  });
  let lastSize = -1;
  let lastActive = Date.now();
  while (!exited) {
    const size = await sizeOf(outputFile);
    const now = Date.now();
    if (size !== lastSize) [lastSize, lastActive] = [size, now];
    if (now - lastActive >= stallMs) return { exit: await running.stop(), stalled: true };
    const turn = new AbortController();
    await Promise.race([exit, sleep(checkMs, undefined, { signal: turn.signal }).catch(() => undefined)]);
    turn.abort();
  }
  return { exit: exited, stalled: false };
}

/** A file's size in bytes; 0 while it does not exist. */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return 0;
    throw error;
  }
}

/** True when `path` is a folder; false when nothing (or a file) is there. */
async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return false;
    throw error;
  }
}
