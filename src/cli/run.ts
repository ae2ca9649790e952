import { setTimeout as sleep } from 'node:timers/promises';
import { answerQuestion, describeOpen, openQuestions } from '../engine/questions.js';
import { readHold } from '../planspace/hold.js';
import { planspacePaths } from '../planspace/paths.js';
import { NoSuchStepError, UsageError } from '../errors.js';
import { isProcessAlive } from '../mailbox/liveness.js';
import { EXIT } from './exit-codes.js';
import { startRunOutput, type RunOutput } from './run-output.js';
import { SOURCE_OPTIONS, type SourceOptions } from './sources.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

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
        io.note(`${(error as Error).message}\n`);
      },
    );
  });
}

/** Options of `workflow run` beyond the sources. */
interface RunOptions extends SourceOptions {
  readonly concurrency?: string;
  readonly only?: string;
  readonly from?: string;
  readonly dryRun?: boolean;
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
        '$ workflow run ./plan --concurrency 8 --from 4       # steps 4 and later, 8 agents at once',
        '$ workflow run ./plan --only 1                       # not COMPLETE while other steps wait',
        'SELECTION DONE: step 1 done; 6 steps still wait',
        '$ workflow run ./plan --dry-run                      # write the prompts, print the commands',
        'step 1 (decompose): claude -p < /work/plan/artifacts/step-1-prompt.md',
      ],
      exitCodes: [
        '3  blocked: a failed step needs a human (see workflow questions)',
        '4  aborted; the running step is back to [wait]',
      ],
      options: [
        ...SOURCE_OPTIONS,
        ['--concurrency <n>', 'most agents running at once, steps and blocks together (default 4)'],
        ['--only <steps>', 'run only these steps, e.g. 3 or 2,5; the others count as done for needs'],
        ['--from <step>', 'run only this step and the steps after it in the file'],
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
      const codespace = options.codespace ?? process.cwd();
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
        });
        const lines = [
          ...plan.dispatches.map((dispatch) => `${dispatch.label}: ${dispatch.command}`),
          ...plan.skipped.map(({ step, reason }) => `step ${step}: would be skipped, ${reason}`),
        ];
        return { text: lines.join('\n'), json: plan };
      }
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
          onEvent: output.event,
        });
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
              ? `BLOCKED ${outcome.step.line}:${outcome.step.text}`
              : 'ABORTED';
        return { text, json: { event: 'end', outcome: outcome.kind }, exitCode };
      } finally {
        output.stop();
        stopTyping();
      }
    },
  );
}

/** `workflow abort <planspace>`: stop the engine running a planspace. */
export function abortCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'abort <planspace>',
      summary:
        "Stop the engine running <planspace>: it kills its agents' process trees and puts the running step back to [wait].",
      examples: ['$ workflow abort ./plan', 'aborted:4711'],
      exitCodes: ['1  ERROR: no engine is running the planspace'],
    },
    io,
    async (planspace) => {
      const paths = planspacePaths(planspace);
      const hold = await readHold(paths);
      if (!hold || !isProcessAlive(hold.pid)) throw new NoSuchStepError(`no engine is running ${planspace}`);
      process.kill(hold.pid, 'SIGTERM');
      // The engine releases its hold as its last act; wait for that, up to a minute.
      for (let waited = 0; waited < 60_000; waited += 50) {
        const current = await readHold(paths);
        if (current?.pid !== hold.pid || !isProcessAlive(hold.pid)) break;
        await sleep(50);
      }
      return { text: `aborted:${hold.pid}`, json: { aborted: hold.pid } };
    },
  );
}

/** `workflow answer <planspace> --id ID <text...>`: answer an open question. */
export function answerCommand(io: VerbIO) {
  return defineVerb<[string, string[]], CommonOptions & { id?: string }>(
    {
      usage: 'answer <planspace> <text...>',
      summary:
        'Answer the open question --id names (see workflow questions). For an escalation: retry, skip, abort, or ' +
        'guidance for another attempt. A question is open while the run that asked it lives and nobody answered it.',
      examples: [
        '$ workflow answer ./plan --id q2 "use the v2 API"',
        'answered:q2',
        '$ workflow answer ./plan --id q2 "use v3"',
        "question q2 is already answered ('use the v2 API'); nothing was sent",
      ],
      exitCodes: ['2  no --id, or the question is unknown, answered, closed, or its run has ended; nothing was sent'],
      options: [['--id <id>', 'the question to answer, e.g. q2 (required)']],
    },
    io,
    async (planspace, words, options) => {
      const paths = planspacePaths(planspace);
      if (options.id === undefined) {
        throw new UsageError(
          `name the question to answer: workflow answer <planspace> --id <id> <text>; ${describeOpen(await openQuestions(paths))}`,
        );
      }
      const question = await answerQuestion(paths, options.id, words.join(' '));
      return { text: `answered:${question.id}`, json: question };
    },
  );
}

/** `workflow questions <planspace>`: list pending questions. */
export function questionsCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'questions <planspace>',
      summary:
        'List the open questions (asked during the live run, not yet answered): id | step | from | asked | question.',
      examples: [
        '$ workflow questions ./plan',
        'q2 | step=4 | from=step-4 | asked=2026-11-22T02:30:00.000Z | Which API version?',
      ],
    },
    io,
    async (planspace) => {
      const pending = await openQuestions(planspacePaths(planspace));
      const lines = pending.map(
        (q) => `${q.id} | step=${q.step ?? '-'} | from=${q.asker} | asked=${q.askedAt} | ${q.question}`,
      );
      return { text: lines.join('\n'), bytes: Buffer.from(lines.map((line) => `${line}\n`).join('')), json: pending };
    },
  );
}
