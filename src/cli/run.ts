import { setTimeout as sleep } from 'node:timers/promises';
import { answerQuestion, pendingQuestions } from '../engine/questions.js';
import type { LoggedEvent } from '../planspace/log.js';
import { readHold } from '../planspace/hold.js';
import { planspacePaths } from '../planspace/paths.js';
import { NoSuchStepError } from '../errors.js';
import { isProcessAlive } from '../mailbox/liveness.js';
import { EXIT } from './exit-codes.js';
import { LiveView } from './live-view.js';
import { SOURCE_OPTIONS, type SourceOptions } from './sources.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** A plain line for an event: its time of day and its log message. */
function plainLine(event: LoggedEvent): string {
  return `${event.time.slice(11, 19)} ${event.message}\n`;
}

/**
 * Answers typed at the terminal: `q3 use v2` answers q3, any other line answers the oldest
 * pending question.
 */
async function readTypedAnswers(io: VerbIO, planspace: string): Promise<() => void> {
  if (!io.terminalInput) return () => undefined;
  const { createInterface } = await import('node:readline');
  const lines = createInterface({ input: io.terminalInput });
  lines.on('line', (line) => {
    const match = /^(q\d+)[:\s]\s*(.+)$/.exec(line.trim());
    const [id, text] = match ? [match[1], match[2] ?? ''] : [undefined, line.trim()];
    if (text === '') return;
    answerQuestion(planspacePaths(planspace), id, text).then(
      (question) => {
        io.note(`answered ${question.id}\n`);
      },
      (error: unknown) => {
        io.note(`${(error as Error).message}\n`);
      },
    );
  });
  return () => {
    lines.close();
  };
}

/** `workflow run <planspace>`: run the schedule to the end. */
export function runCommand(io: VerbIO) {
  return defineVerb<[string], SourceOptions>(
    {
      usage: 'run <planspace>',
      summary:
        'Run the schedule: dispatch each step to its agent, settle it, send failures to the exception handler and questions to you.',
      examples: [
        '$ workflow run ./plan --skills ./skills --codespace ./project',
        '02:30:00 step 1 (decompose): dispatched to claude-opus, run rmwr7hpe6-1-1',
        '$ workflow answer ./plan --id q1 "use the v2 API"     # from any shell',
      ],
      exitCodes: [
        '3  blocked: a failed step needs a human (see workflow questions)',
        '4  aborted; the running step is back to [wait]',
      ],
      options: SOURCE_OPTIONS,
    },
    io,
    async (planspace, options) => {
      const { runEngine } = await import('../engine/engine.js');
      const stopTyping = await readTypedAnswers(io, planspace);
      const view = io.isTTY && options.json !== true ? new LiveView(io.print) : undefined;
      try {
        const outcome = await runEngine({
          planspace,
          codespace: options.codespace ?? process.cwd(),
          skills: options.skills,
          models: options.models,
          agents: options.agents,
          signal: io.signal,
          onEvent: (event) => {
            if (options.json === true) io.print(`${JSON.stringify(event)}\n`);
            else if (view) view.event(event, plainLine(event));
            else io.print(plainLine(event));
          },
        });
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
        view?.stop();
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

/** `workflow answer <planspace> [--id ID] <text...>`: answer a question. */
export function answerCommand(io: VerbIO) {
  return defineVerb<[string, string[]], CommonOptions & { id?: string }>(
    {
      usage: 'answer <planspace> <text...>',
      summary:
        'Answer a pending question (default: the oldest). For an escalation: retry, skip, abort, or guidance for another attempt.',
      examples: ['$ workflow answer ./plan --id q2 "use the v2 API"', 'answered:q2', '$ workflow answer ./plan skip'],
      exitCodes: ['1  ERROR: no question is waiting (or no question ID)'],
      options: [['--id <id>', 'the question to answer, e.g. q2']],
    },
    io,
    async (planspace, words, options) => {
      const question = await answerQuestion(planspacePaths(planspace), options.id, words.join(' '));
      return { text: `answered:${question.id}`, json: question };
    },
  );
}

/** `workflow questions <planspace>`: list pending questions. */
export function questionsCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'questions <planspace>',
      summary: 'List the questions waiting for an answer: id | step | from | asked | question.',
      examples: [
        '$ workflow questions ./plan',
        'q2 | step=4 | from=step-4 | asked=2026-11-22T02:30:00.000Z | Which API version?',
      ],
    },
    io,
    async (planspace) => {
      const pending = await pendingQuestions(planspacePaths(planspace));
      const lines = pending.map(
        (q) => `${q.id} | step=${q.step ?? '-'} | from=${q.asker} | asked=${q.askedAt} | ${q.question}`,
      );
      return { text: lines.join('\n'), bytes: Buffer.from(lines.map((line) => `${line}\n`).join('')), json: pending };
    },
  );
}
