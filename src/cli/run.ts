import { answerQuestion } from '../engine/questions.js';
import { planspacePaths } from '../planspace/paths.js';
import { UsageError } from '../errors.js';
import { checkVerifyCommand } from '../schedule/attributes.js';
import { printable } from '../text/printable.js';
import { EXIT } from './exit-codes.js';
import { keepYoungGenerationSmall } from './run-heap.js';
import { startRunOutput, type RunOutput } from './run-output.js';
import { SOURCE_OPTIONS, type SourceOptions } from './sources.js';
import { defineVerb, type VerbIO } from './verb.js';

/**
 * Answers typed at the terminal: `q3 use v2` answers q3. A line without a question id answers
 * nothing: the question it was meant for may have been answered or closed meanwhile, and the
 * text would go to another.
 */
async function readTypedAnswers(output: RunOutput, planspace: string): Promise<() => void> {
  const { io } = output;
  if (!io.terminalInput) return () => undefined;
  return output.readLines(io.terminalInput, (line) => {
    if (line.trim() === '') return;
    const match = /^(q\d+)[:\s]\s*(.+)$/.exec(line.trim());
    if (!match) {
      io.note("type the question's id before the answer, e.g. 'q3 use the v2 API'\n");
      return;
    }
    answerQuestion(planspacePaths(planspace), match[1] ?? '', match[2] ?? '').then(
      (question) => {
        io.note(`answered ${question.id}\n`);
      },
      (error: unknown) => {
        io.note(`${printable((error as Error).message)}\n`);
      },
    );
  });
}

/** Options of `workflow run` beyond the sources. */
interface RunOptions extends SourceOptions {
  readonly concurrency?: string;
  readonly only?: string;
  readonly from?: string;
  readonly goal?: string;
  readonly dryRun?: boolean;
  /** `--verify`, each time it was given. */
  readonly verify?: readonly string[];
  readonly isolation?: string;
  readonly worktrees?: string;
  readonly maxSteps?: string;
  readonly maxAdded?: string;
  /** False for `--no-color`. */
  readonly color?: boolean;
}

/** A positive whole number given on the command line (a step number or a count). */
function positive(option: string, text: string, example: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${option} wants ${example}; found '${text}'`);
  }
  return Number(text);
}

/**
 * The `--verify` commands, trimmed.
 *
 * @throws {UsageError} for an empty command or one with control characters.
 */
function verifyOption(commands: readonly string[] | undefined): readonly string[] | undefined {
  return commands?.map((text) => {
    const command = text.trim();
    const problem = checkVerifyCommand(command);
    if (problem) throw new UsageError(`--verify wants ${problem.expected}; found ${problem.found}`);
    return command;
  });
}

/**
 * The `--goal` text, trimmed.
 *
 * @throws {UsageError} for an empty goal.
 */
function goalOption(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.trim() === '') throw new UsageError("--goal wants the goal in words, e.g. --goal 'fix the login timeout'");
  return text.trim();
}

/** A dry run's first line with a goal: `planner selected step 3; the run would take steps 2, 3`. */
function selectionLine(selected: readonly number[], steps: readonly number[]): string {
  const list = (ns: readonly number[]): string => `step${ns.length === 1 ? '' : 's'} ${ns.join(', ')}`;
  return `planner selected ${list(selected)}; the run would take ${list(steps)}`;
}

/** `workflow run <planspace>`: run the schedule to the end. */
export function runCommand(io: VerbIO) {
  return defineVerb<[string], RunOptions>(
    {
      usage: 'run <planspace>',
      summary:
        'Run the schedule: dispatch each step to its agent, settle it, send failures to the exception handler and questions to you.',
      examples: [
        '$ workflow run ./plan --skills ./skills --codespace ./project',
        '02:30:00 step 1 (decompose): dispatched to claude-opus, run rmwr7hpe6-1-1',
        '$ workflow answer ./plan --id q1 "use the v2 API"     # from any shell',
        '$ workflow run ./plan --concurrency 8 --from 4   # steps 4 on, 8 at once',
        '$ workflow run ./plan --only 1    # not COMPLETE while other steps wait',
        'SELECTION DONE: step 1 done; 6 steps still wait',
        "$ workflow run ./plan --verify 'npm test'   # steps without their own verify:",
        '$ workflow run ./plan --isolation worktree   # each agent in a git worktree',
        '$ workflow run ./plan --worktrees /dev/shm/plan   # worktrees in memory',
        '$ workflow run ./plan --dry-run   # write the prompts, print the commands',
        'step 1 (decompose): claude -p < /work/plan/artifacts/step-1-prompt.md',
        '$ workflow run ./plan --goal "fix the login timeout"   # a planner picks steps',
        'planner selected step 5; the run takes steps 4, 5',
      ],
      exitCodes: [
        '1  --goal: the planner selected nothing (NOTHING SELECTED: <reason>) or failed; nothing was dispatched',
        '3  blocked: a failed step needs a human (see workflow questions)',
        '4  aborted; the running step is back to [wait]',
      ],
      options: [
        ...SOURCE_OPTIONS,
        ['--concurrency <n>', 'most agents running at once, steps and blocks together (default 4)'],
        [
          '--only <steps>',
          'run only these steps, e.g. 3 or 2,5, and the steps their agents add; the others count as done for needs',
        ],
        ['--from <step>', 'run only this step and the steps after it in the file'],
        [
          '--goal <text>',
          'first run the planner agent (planner.md, found like exception-handler.md) on this goal: it may add steps with workflow add and selects steps; the run takes those and every step they need. With --dry-run the planner still runs, and the steps it adds stay in the schedule. Not with --only or --from',
        ],
        [
          '--verify <command>',
          "run after each step's agent succeeded, with sh -c in its working tree (the codespace, or its worktree); must exit 0 (steps with their own verify: run those). Repeat for more, run in order",
          'repeatable',
        ],
        [
          '--isolation <mode>',
          "worktree: each unit in a git worktree of its own, merged when it succeeds; none (default): in the codespace. A step's isolation: wins",
        ],
        [
          '--worktrees <dir>',
          'make the worktrees in this folder, outside the codespace (default <repository>/.git/planspace-worktrees). On a tmpfs such as /dev/shm/plan they cost far less where creating files is slow, but kept ones are lost at a reboot',
        ],
        [
          '--max-steps <n>',
          "loop guard: agents' workflow add is refused once the schedule holds n steps (default 500)",
        ],
        ['--max-added <n>', 'loop guard: a step may add at most n steps in one run (default 20)'],
        ['--dry-run', 'write the prompts and print the commands a run would start; start nothing'],
        ['--no-color', 'no colours (also NO_COLOR=1; FORCE_COLOR=1 colours even a pipe)'],
      ],
    },
    io,
    async (planspace, options) => {
      const concurrency =
        options.concurrency === undefined
          ? undefined
          : positive('--concurrency', options.concurrency, 'a count of at least 1, such as 8');
      const only = options.only?.split(',').map((part) => positive('--only', part, 'step numbers such as 3 or 2,5'));
      const from = options.from === undefined ? undefined : positive('--from', options.from, 'a step number such as 4');
      const verify = verifyOption(options.verify);
      const goal = goalOption(options.goal);
      if (goal !== undefined && (only !== undefined || from !== undefined)) {
        throw new UsageError(`--goal picks the steps itself: not with ${only === undefined ? '--from' : '--only'}`);
      }
      const maxSteps =
        options.maxSteps === undefined ? undefined : positive('--max-steps', options.maxSteps, 'a count such as 500');
      const maxAdded =
        options.maxAdded === undefined ? undefined : positive('--max-added', options.maxAdded, 'a count such as 20');
      const codespace = options.codespace ?? process.cwd();
      const isolation = options.isolation;
      if (isolation !== undefined && isolation !== 'worktree' && isolation !== 'none') {
        throw new UsageError(`--isolation wants 'worktree' or 'none'; found '${isolation}'`);
      }
      if (options.worktrees?.trim() === '') throw new UsageError('--worktrees wants a folder, such as /dev/shm/plan');
      if (options.dryRun === true) {
        const { dryRun } = await import('../engine/dry-run.js');
        const plan = await dryRun({
          planspace,
          codespace,
          skills: options.skills,
          models: options.models,
          agents: options.agents,
          only,
          from,
          verify,
          goal,
          signal: io.signal,
          cgroups: io.env.PLANSPACE_CGROUPS !== '0',
        });
        if (plan.selection?.kind === 'none') {
          const text = `NOTHING SELECTED: ${printable(plan.selection.reason)}`;
          return { text, json: plan, exitCode: EXIT.condition, notes: ['dry run: nothing started'] };
        }
        const lines = [
          ...(plan.selection === undefined ? [] : [selectionLine(plan.selection.selected, plan.selection.steps)]),
          // The limits as a shell comment: the line stays one a shell can run.
          ...plan.dispatches.flatMap((dispatch) => [
            ...(dispatch.candidate?.k === 1
              ? [`step ${dispatch.step}: candidates: ${dispatch.candidate.of} (judge: ${dispatch.candidate.judge})`]
              : []),
            `${dispatch.label}: ${dispatch.command}${dispatch.limits === '' ? '' : `   # ${dispatch.limits}`}`,
            ...dispatch.verify.map((command) => `${dispatch.label}: then verify: ${command}`),
          ]),
          ...plan.skipped.map(({ step, reason }) => `step ${step}: would be skipped, ${reason}`),
        ];
        // On stderr: the command lines on stdout stay one per agent, for scripts.
        const notes = [`dry run: prompts written to ${plan.folder}; nothing started`];
        return { text: lines.join('\n'), json: plan, notes };
      }
      // Before the schedule is read: its parse is what would grow the heap (see run-heap.ts).
      keepYoungGenerationSmall();
      const { runEngine } = await import('../engine/run-engine.js');
      const output = startRunOutput(io, options);
      const stopTyping = await readTypedAnswers(output, planspace);
      try {
        const outcome = await runEngine({
          planspace,
          codespace,
          skills: options.skills,
          models: options.models,
          agents: options.agents,
          concurrency,
          only,
          from,
          signal: io.signal,
          forceSignal: io.forceSignal,
          // PLANSPACE_CGROUPS=0 tracks agents by their environment marker even where cgroups would do.
          cgroups: io.env.PLANSPACE_CGROUPS !== '0',
          isolation,
          worktrees: options.worktrees,
          onEvent: output.event,
          verify,
          goal,
          maxSteps,
          maxAdded,
        });
        if (outcome.kind === 'nothing-selected') {
          const json = { event: 'end', outcome: outcome.kind, reason: outcome.reason };
          return { text: `NOTHING SELECTED: ${printable(outcome.reason)}`, json, exitCode: EXIT.condition };
        }
        if (outcome.kind === 'selection-done') {
          const { done, skipped, remaining } = outcome;
          const json = { event: 'end', outcome: outcome.kind, done, skipped, remaining: remaining.length };
          return { text: `SELECTION DONE: ${outcome.summary}`, json };
        }
        const exitCode =
          outcome.kind === 'complete' ? EXIT.ok : outcome.kind === 'blocked' ? EXIT.blocked : EXIT.aborted;
        const text =
          outcome.kind === 'complete'
            ? 'COMPLETE'
            : outcome.kind === 'blocked'
              ? `BLOCKED ${outcome.step.line}:${printable(outcome.step.text)}`
              : 'ABORTED';
        return { text, json: { event: 'end', outcome: outcome.kind }, exitCode };
      } finally {
        output.stop();
        stopTyping();
      }
    },
  );
}
