/**
 * `workflow run --dry-run`: what a run would do, without doing it. It writes each prompt a run
 * would write and lists the command each agent would be started with, in the order a run
 * would reach them if every step succeeded, each with the verification commands that would
 * follow its agent; a `candidates:` step's candidates each with its model. It starts nothing, takes no hold and leaves the
 * schedule as it is. Its prompts go to `artifacts/dry-run/`, never where a run writes them:
 * a dry run during a live run overwrote the prompt file of the step that run was running.
 *
 * With a goal (`--goal`) the planner really runs (`planner.ts`; its files in `artifacts/dry-run/`,
 * its events in the log) and may add steps with `workflow add`: such a dry run is not free of
 * writes. It then plans the steps the planner selected and every step they need.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { candidateModels, stepJudge } from '../candidates/step-models.js';
import { buildAgentCommand } from '../dispatch/command.js';
import { openProcessTrees } from '../dispatch/trees.js';
import { PlannerError, UsageError } from '../errors.js';
import { logEvent } from '../planspace/log.js';
import type { ModelSpec } from '../dispatch/models.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { assertOwnFolder, FOLDER_MODE } from '../fs/guard.js';
import { absolutePlanspacePaths } from '../planspace/paths.js';
import { renderStepPrompt, shellQuote } from '../prompt/render.js';
import { readSkillSection } from '../prompt/skill.js';
import { formatDurationText } from '../schedule/attributes.js';
import { withStatus } from '../schedule/mutate.js';
import { assertHasSteps } from '../schedule/checks.js';
import { readSchedule } from '../schedule/operations.js';
import { planSteps } from '../schedule/plan.js';
import type { Step } from '../schedule/step.js';
import { verifyCommands } from '../verify/verify.js';
import { agentName } from './attempt.js';
import { unitLabel, unitStem, type Unit } from './context.js';
import type { EngineOptions } from './run-engine.js';
import { absoluteSources, preflight, type Sources } from './preflight.js';
import { findPlanner, runPlanner, type PlannerChoice } from './planner.js';
import { selectSteps } from './select.js';
import { readText } from './text.js';

/** One agent a run would start. */
export interface PlannedDispatch {
  readonly step: number;
  readonly block?: string;
  /** For a `candidates:` step: which candidate (k, 1-based) of how many, and the step's judge. */
  readonly candidate?: { readonly k: number; readonly of: number; readonly judge: string };
  /** The model whose registry entry gives the command. */
  readonly model: string;
  /** The prompt file written. */
  readonly promptFile: string;
  /** The command as a POSIX shell line: the prompt on standard input, or as the last argument. */
  readonly command: string;
  /** The log-style label: `step 3 (scan) block a`, or `step 3 (scan) candidate 2 (codex)` with its model. */
  readonly label: string;
  /** The verification commands run after the agent succeeded (`verify:`, else `--verify`), in order. */
  readonly verify: readonly string[];
  /** The agent's time limit in ms: the step's `timeout:`, else its model file's `timeout`; undefined: none. */
  readonly timeoutMs?: number;
  /** The agent's stall limit in ms: the step's `stall:`, else its model file's `stall`; undefined: none. */
  readonly stallMs?: number;
  /** The limits as text, each saying where it comes from: `timeout 60m (model), stall 5m (step)`; '' for none. */
  readonly limits: string;
}

/** What the planner chose in a dry run with a goal. */
export type DryRunSelection =
  | { readonly kind: 'select'; readonly selected: readonly number[]; readonly steps: readonly number[] }
  | { readonly kind: 'none'; readonly reason: string };

/** What `dryRun` found: the dispatches in order, and the steps a run would skip. */
export interface DryRunPlan {
  /** With a goal: what the planner chose (for `none`, there are no dispatches). */
  readonly selection?: DryRunSelection;
  /** The folder the prompts were written to, `<planspace>/artifacts/dry-run` (absolute). */
  readonly folder: string;
  readonly dispatches: readonly PlannedDispatch[];
  readonly skipped: readonly { readonly step: number; readonly reason: string }[];
}

/**
 * Plans a run as if every step succeeded: writes `artifacts/dry-run/<stem>-prompt.md` for each unit
 * (run id `<run>-dry`) and returns the command lines (the model's `args` with their
 * placeholders filled in for this dry run) and each agent's time and stall limits.
 *
 * @throws {PreflightError} as `runEngine`, before anything is written.
 * @throws {UsageError} for an `only`/`from` step the schedule lacks.
 * @throws {UnsafePathError} for a planspace another user owns or may write to, or a linked
 *   `artifacts/`, before anything is written.
 */
export async function dryRun(
  options: Sources &
    Pick<EngineOptions, 'planspace' | 'only' | 'from' | 'verify' | 'goal' | 'signal' | 'cgroups' | 'onEvent'>,
): Promise<DryRunPlan> {
  const paths = absolutePlanspacePaths(options.planspace);
  const sources = absoluteSources(options);
  let schedule = await readSchedule(paths.root);
  assertHasSteps(schedule);
  if (options.goal !== undefined && (options.only !== undefined || options.from !== undefined)) {
    throw new UsageError('--goal picks the steps itself: not with --only or --from');
  }
  let only = selectSteps(schedule.steps, options, paths.schedule);
  const planner = options.goal === undefined ? undefined : await findPlanner(sources);
  let resolved = await preflight(schedule, sources);
  assertOwnFolder(paths.root, 'planspace', { link: true });
  assertOwnFolder(paths.artifacts, 'artifacts folder');
  const folder = dryRunFolder(paths.artifacts);
  assertOwnFolder(folder, 'dry-run folder');
  await mkdir(folder, { recursive: true, mode: FOLDER_MODE });
  const runId = `r${Date.now().toString(36)}-dry`;
  let selection: DryRunSelection | undefined;
  if (planner && options.goal !== undefined) {
    const trees = await openProcessTrees({ runId, cgroups: options.cgroups });
    let choice: PlannerChoice;
    try {
      choice = await runPlanner({
        goal: options.goal,
        paths,
        sources,
        planner,
        runId: `${runId}-planner`,
        folder,
        trees,
        signal: options.signal,
        log: async (event, message) => {
          // Written first: an optional call (`onEvent?.(...)`) skips its arguments when there is no callback.
          const logged = await logEvent(paths, { ...event, dryRun: true }, `dry run: ${message}`);
          options.onEvent?.(logged);
        },
      });
    } finally {
      await trees.close();
    }
    if (choice.kind === 'aborted') {
      // Only an aborted signal stops the planner so: its reason ends the dry run (the CLI exits 130).
      options.signal?.throwIfAborted();
      throw new PlannerError('the planner was stopped before it answered', '');
    }
    if (choice.kind === 'none') return { folder, dispatches: [], skipped: [], selection: choice };
    selection = { kind: 'select', selected: choice.selected, steps: choice.steps };
    // The steps the planner added are checked like the others before their prompts are written.
    schedule = choice.schedule;
    only = new Set(choice.steps);
    resolved = await preflight(schedule, sources);
  }
  const state = await readText(paths.state);
  // Steps outside the selection count as done; a [run] step would be resumed.
  let steps: readonly Step[] = schedule.steps.map((step) => {
    if (only !== undefined && !only.has(step.number)) return withStatus(step, 'done');
    return step.status === 'run' ? withStatus(step, 'wait') : step;
  });
  const dispatches: PlannedDispatch[] = [];
  const skipped: { step: number; reason: string }[] = [];
  for (;;) {
    const plan = planSteps(steps);
    skipped.push(...plan.skips.map(({ step, reason }) => ({ step: step.number, reason })));
    if (plan.ready.length === 0) break;
    for (const step of plan.ready) {
      const section =
        step.ref === undefined || sources.skills === undefined ? '' : await readSkillSection(sources.skills, step.ref);
      const units: DryUnit[] =
        step.attributes.candidates === undefined
          ? (step.attributes.blocks ?? [undefined]).map((block) => (block === undefined ? { step } : { step, block }))
          : candidateModels(step).map((model, index) => ({ step, candidate: index + 1, model }));
      for (const unit of units) {
        const model = resolved.models.get(unit.model ?? step.models[0] ?? '') as ModelSpec;
        const prompt = await renderStepPrompt({
          step,
          block: unit.block,
          section,
          planspace: paths.root,
          codespace: sources.codespace,
          state,
          agent: agentName(unit),
          runId,
        });
        const promptFile = join(folder, `${unitStem(unit)}-prompt.md`);
        await writeFileAtomic(promptFile, prompt);
        const context = {
          planspace: paths.root,
          codespace: sources.codespace,
          step: step.number,
          runId,
          agent: agentName(unit),
          models: step.models,
          ...(unit.candidate !== undefined && { candidate: unit.candidate }),
        };
        // The model's `env` is not shown: the line would carry every variable, secrets among them.
        const { args } = buildAgentCommand(
          { ...model, promptMode: 'stdin' },
          { text: '', file: promptFile },
          {},
          context,
        );
        const words = [model.command, ...args].map(shellQuote).join(' ');
        const command =
          model.promptMode === 'arg'
            ? `${words} "$(cat ${shellQuote(promptFile)})"`
            : `${words} < ${shellQuote(promptFile)}`;
        dispatches.push({
          step: step.number,
          ...(unit.block !== undefined && { block: unit.block }),
          ...(unit.candidate !== undefined && {
            candidate: { k: unit.candidate, of: units.length, judge: stepJudge(step) },
          }),
          model: model.name,
          promptFile,
          command,
          label: unit.candidate === undefined ? unitLabel(unit) : `${unitLabel(unit)} (${model.name})`,
          verify: verifyCommands(step, options.verify ?? []),
          ...agentLimits(step, model),
        });
      }
    }
    const ready = new Set(plan.ready);
    steps = plan.steps.map((step) => (ready.has(step) ? withStatus(step, 'done') : step));
  }
  return { folder, dispatches, skipped, ...(selection && { selection }) };
}

/** A unit as a dry run plans it: a block, the step alone, or candidate k with its model. */
interface DryUnit extends Unit {
  readonly model?: string;
}

/**
 * The time and stall limits a step's agent runs under: the step's attributes, else its model
 * file's (as `runAttempt` takes them), with where each comes from.
 */
function agentLimits(step: Step, model: ModelSpec): Pick<PlannedDispatch, 'timeoutMs' | 'stallMs' | 'limits'> {
  const limit = (key: 'timeout' | 'stall', own: number | undefined, fallback: number | undefined): string[] => {
    if (own !== undefined) return [`${key} ${formatDurationText(own)} (step)`];
    return fallback === undefined ? [] : [`${key} ${formatDurationText(fallback)} (model)`];
  };
  const timeoutMs = step.attributes.timeoutMs ?? model.timeoutMs;
  const stallMs = step.attributes.stallMs ?? model.stallMs;
  return {
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(stallMs !== undefined && { stallMs }),
    limits: [
      ...limit('timeout', step.attributes.timeoutMs, model.timeoutMs),
      ...limit('stall', step.attributes.stallMs, model.stallMs),
    ].join(', '),
  };
}

/** Where a dry run writes its prompts: `artifacts/dry-run/`, which no run reads or writes. */
export function dryRunFolder(artifacts: string): string {
  return join(artifacts, 'dry-run');
}
