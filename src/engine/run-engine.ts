/**
 * Starting a run: the checks that come before anything is written (schedule, selection,
 * preflight, question records, links and permissions, file types), then the planspace's hold
 * (`engine.json`), the run's process trees and the engine's inbox, each released however the
 * run ends. The run itself, as a state machine, is `engine.ts`. With a goal (`--goal`), the
 * planner (`planner.ts`) runs under the hold before the engine starts, and the checks of what
 * it selected follow it.
 */
import { mkdir } from 'node:fs/promises';
import { killOrphanAgents } from '../dispatch/orphans.js';
import { openProcessTrees, type ProcessTrees } from '../dispatch/trees.js';
import { UsageError } from '../errors.js';
import { readCodespaceRepository, type CodespaceRepository } from '../git/codespace.js';
import { worktreesFolder } from '../git/worktree.js';
import { FOLDER_MODE } from '../fs/guard.js';
import { openInbox } from '../mailbox/receive.js';
import { takeHold } from '../planspace/hold.js';
import { logEvent, type LoggedEvent } from '../planspace/log.js';
import { absolutePlanspacePaths, type PlanspacePaths } from '../planspace/paths.js';
import { assertRunFiles } from '../planspace/run-files.js';
import { ENGINE_MAILBOX } from '../prompt/render.js';
import { assertHasSteps } from '../schedule/checks.js';
import { readSchedule } from '../schedule/operations.js';
import type { Step } from '../schedule/step.js';
import type { EngineTimings } from './context.js';
import { Engine } from './engine.js';
import { absoluteSources, preflight, type Sources } from './preflight.js';
import { listQuestions } from './questions.js';
import { Isolation, type IsolationMode } from './isolation.js';
import { logDoneOfDeadRun, recoverWorktrees } from './recover.js';
import { assertRunPaths } from './run-paths.js';
import { findPlanner, runPlanner } from './planner.js';
import { selectSteps, type SelectionEnd } from './select.js';

/** Agents running at once when `concurrency` is not given. */
export const DEFAULT_CONCURRENCY = 4;

/** Options of `runEngine`. */
export interface EngineOptions extends Sources, EngineTimings {
  readonly planspace: string;
  /** Stops the run: agents' trees are killed and running steps go back to `[wait]`. */
  readonly signal?: AbortSignal;
  /** Receives every event as it is logged (for the terminal view or `--json`). */
  readonly onEvent?: (event: LoggedEvent) => void;
  /** Most agents running at once, steps and blocks together. Default `DEFAULT_CONCURRENCY` (4). */
  readonly concurrency?: number;
  /**
   * Run only these steps; every other step counts as done for `needs` and is left as it is.
   * Default: every step.
   */
  readonly only?: readonly number[];
  /** Run only this step and the steps after it in the file (with `only`: both must hold). Default: every step. */
  readonly from?: number;
  /**
   * Let the planner agent (`planner.md`) pick the work for this goal before anything is
   * dispatched (see `planner.ts`); the run then takes the steps it selected and every step they
   * need, as `only` would. Not with `only` or `from`. Default: no planner.
   */
  readonly goal?: string;
  /**
   * Track agents' processes with cgroup v2 where this process may create cgroups (default
   * true); false: with the environment marker only (see `dispatch/trees.ts`).
   */
  readonly cgroups?: boolean;
  /**
   * Verification commands for every step without `verify:` of its own, run in order with
   * `sh -c` after its agent succeeded (see `verify/verify.ts`). Default: none.
   */
  readonly verify?: readonly string[];
  /**
   * Aborted when the process must end now (a second Ctrl-C): in the abort event itself, every
   * process of every agent is SIGKILLed and the hold (`engine.json`) removed, synchronously; the
   * caller ends the process right after. `[run]` steps stay `[run]`, for the next run to resume.
   */
  readonly forceSignal?: AbortSignal;
  /**
   * How units of steps without an `isolation:` attribute run: `worktree` (each in a git
   * worktree of its own, merged into the codespace's branch; see `isolation.ts`) or `none` (in
   * the codespace). Default `none`.
   */
  readonly isolation?: IsolationMode;
  /**
   * The folder isolated units' worktrees are made in, each as `<folder>/<run id>-<unit>`; made
   * (0700) if missing. Default `<common git folder>/planspace-worktrees` (see `git/worktree.ts`).
   * A tmpfs makes each worktree far cheaper where creating files is slow (a race of
   * `candidates:` makes up to N), at a price: worktrees kept for a look (failed attempts,
   * conflicts) are lost at a reboot, and the files take memory.
   */
  readonly worktrees?: string;
  /**
   * The loop guard of `workflow add` run by this run's agents (given them as
   * `WORKFLOW_MAX_STEPS` / `WORKFLOW_MAX_ADDED`): refused once the schedule holds this many
   * steps (default `DEFAULT_MAX_STEPS`, 500), or once the adding step added `maxAdded` steps in
   * this run (default `DEFAULT_MAX_ADDED`, 20).
   */
  readonly maxSteps?: number;
  readonly maxAdded?: number;
}

/** How a run ended. */
export type EngineOutcome =
  | { readonly kind: 'complete' }
  | ({ readonly kind: 'selection-done' } & SelectionEnd)
  /** `goal`: the planner answered `SELECT: none <reason>`; nothing was dispatched. */
  | { readonly kind: 'nothing-selected'; readonly reason: string }
  | { readonly kind: 'blocked'; readonly step: Step }
  | { readonly kind: 'aborted'; readonly steps: readonly Step[] };

/**
 * The codespace's repository when a step the run is to take is isolated (`isolation: worktree`,
 * its own or the run's); undefined when none is.
 *
 * @throws {CodespaceRefusedError} when the codespace cannot be isolated (see `runEngine`).
 * @throws {UsageError} for a `worktrees` folder inside the codespace's working tree.
 */
async function isolatedRepository(
  steps: readonly Step[],
  only: ReadonlySet<number> | undefined,
  options: EngineOptions,
  sources: Sources,
  paths: PlanspacePaths,
): Promise<CodespaceRepository | undefined> {
  const toRun = steps.filter(
    (step) => step.status !== 'done' && step.status !== 'skip' && (only === undefined || only.has(step.number)),
  );
  const isolated = toRun.some((step) => (step.attributes.isolation ?? options.isolation ?? 'none') === 'worktree');
  // A step with candidates always runs them in worktrees (see `isIsolated`).
  const candidates = toRun.some((step) => step.attributes.candidates !== undefined);
  if (!isolated && !candidates) return undefined;
  const repository = await readCodespaceRepository(sources.codespace, paths.root, isolated ? undefined : 'candidates:');
  // Checked now, with nothing written yet; `Isolation.open` makes it.
  worktreesFolder(repository, options.worktrees);
  return repository;
}

/**
 * Runs a planspace's schedule to the end.
 *
 * @returns the outcome: `complete`, `selection-done` (every step `only`/`from`/the planner
 *   selected is done or skipped, others are not), `nothing-selected` (the planner's reason),
 *   `blocked` (with the failed step) or `aborted` (with the steps put back to `[wait]`).
 * @throws {PreflightError} before any agent starts, for unresolvable refs, unknown models or
 *   a missing exception-handler agent file.
 * @throws {PlanspaceBusyError} if another live engine holds the planspace.
 * @throws {UnsafePathError} before anything is written, for a planspace another user owns or
 *   may write to, or a link where the run would write (see `assertRunPaths`).
 * @throws {ScheduleSyntaxError} / {ScheduleNotFoundError} for a bad or missing schedule.
 * @throws {NotRegularFileError} if the schedule, `state.md`, `log.md`, `events.jsonl` or
 *   `engine.json` is a FIFO, socket, device or folder; nothing is written.
 * @throws {CodespaceRefusedError} before anything is written, when a step to run is isolated
 *   (`isolation: worktree`, or `candidates:`) and the codespace is no git repository, has no
 *   commit or branch checked out, or has uncommitted changes to tracked files (named). With a
 *   `goal`, this and the preflight of steps the planner added come after the planner ran (its
 *   files and log lines stay; no step's agent started).
 * @throws {UsageError} for a `concurrency` below 1, an `only` step the schedule lacks,
 *   `goal` with `only` or `from`, or a `worktrees` folder inside the codespace's working tree
 *   (when a step to run is isolated).
 * @throws {PlannerError} when the planner failed or gave no `SELECT:` answer (nothing dispatched).
 * @throws {RunStoppedError} when the run stopped because a file failed under it (the schedule
 *   removed, a full disk), after stopping every agent it started.
 */
export async function runEngine(options: EngineOptions): Promise<EngineOutcome> {
  const paths = absolutePlanspacePaths(options.planspace);
  const sources = absoluteSources(options);
  const schedule = await readSchedule(paths.root);
  assertHasSteps(schedule);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`--concurrency must be a whole number of at least 1, not ${String(options.concurrency)}`);
  }
  if (options.goal !== undefined && (options.only !== undefined || options.from !== undefined)) {
    throw new UsageError('--goal picks the steps itself: not with --only or --from');
  }
  let only = selectSteps(schedule.steps, options, paths.schedule);
  const planner = options.goal === undefined ? undefined : await findPlanner(sources);
  let resolved = await preflight(schedule, sources);
  // Read (and so check) the question records now: a bad one found after the start would leave
  // a log, a mailbox and artifacts behind a run that never ran.
  await listQuestions(paths);
  assertRunPaths(paths, schedule.steps);
  assertRunFiles(paths);
  // Before the hold: a codespace that cannot be isolated is refused with nothing written. With a
  // goal, what runs is known only once the planner has answered, under the hold.
  let repository = planner ? undefined : await isolatedRepository(schedule.steps, only, options, sources, paths);
  const runBase = `r${Date.now().toString(36)}`;
  let orphans: number[] = [];
  const { release, releaseNow, previous } = await takeHold(paths, runBase, (dead) => {
    // A dead engine's agents run on in their own process groups: stop them before they report,
    // and before the hold names this run: killed right after, this run would leave them to nobody.
    orphans = killOrphanAgents(paths.root, dead.runId);
  });
  // From here on a second Ctrl-C must not leave the hold or an agent behind.
  let opened: ProcessTrees | undefined;
  const onForce = (): void => {
    opened?.killAllNow();
    releaseNow();
  };
  options.forceSignal?.addEventListener('abort', onForce, { once: true });
  try {
    // Before this run's `started`: the lines belong to the dead run.
    if (previous) await logDoneOfDeadRun(paths, previous.runId, schedule.steps);
    const recognised = await recoverWorktrees(paths);
    if (previous && orphans.length > 0) {
      await logEvent(
        paths,
        { event: 'orphans-killed', pids: orphans, runId: previous.runId },
        `killed ${orphans.length} agent processes left by a dead engine (run ${previous.runId})`,
      );
    }
    await mkdir(paths.artifacts, { recursive: true, mode: FOLDER_MODE });
    const trees = await openProcessTrees({ runId: runBase, cgroups: options.cgroups });
    opened = trees;
    try {
      if (planner && options.goal !== undefined) {
        const choice = await runPlanner({
          goal: options.goal,
          paths,
          sources,
          planner,
          runId: `${runBase}-planner`,
          folder: paths.artifacts,
          trees,
          signal: options.signal,
          killGraceMs: options.killGraceMs,
          log: async (event, message) => {
            const logged = await logEvent(paths, event, message);
            options.onEvent?.(logged);
          },
        });
        if (choice.kind === 'aborted') return { kind: 'aborted', steps: [] };
        if (choice.kind === 'none') return { kind: 'nothing-selected', reason: choice.reason };
        // The schedule as the planner left it: the steps it added must be checked like the rest.
        only = new Set(choice.steps);
        resolved = await preflight(choice.schedule, sources);
        assertRunPaths(paths, choice.schedule.steps);
        repository = await isolatedRepository(choice.schedule.steps, only, options, sources, paths);
      }
      const inbox = await openInbox(paths.root, ENGINE_MAILBOX);
      try {
        const isolation =
          repository === undefined
            ? undefined
            : await Isolation.open(
                paths,
                repository,
                runBase,
                recognised,
                worktreesFolder(repository, options.worktrees),
              );
        const engine = new Engine(
          paths,
          sources,
          resolved,
          runBase,
          inbox,
          options,
          concurrency,
          only,
          trees,
          isolation,
        );
        return await engine.run();
      } finally {
        await inbox.close();
      }
    } finally {
      await trees.close();
    }
  } finally {
    options.forceSignal?.removeEventListener('abort', onForce);
    await release();
  }
}
