/**
 * The verbs a human uses beside a live run: `workflow questions` (what is asked), `workflow
 * answer` (answer one) and `workflow abort` (stop the engine). Apart from `run.ts`, which runs
 * the engine itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { answerQuestion, describeOpen, openQuestions } from '../engine/questions.js';
import { NoEngineError, UsageError } from '../errors.js';
import { isProcessAlive } from '../mailbox/liveness.js';
import { readHold } from '../planspace/hold.js';
import { planspacePaths } from '../planspace/paths.js';
import { printable } from '../text/printable.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** `workflow abort <planspace>`: stop the engine running a planspace. */
export function abortCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'abort <planspace>',
      summary:
        "Stop the engine running <planspace>: it kills its agents' process trees and puts the running step back to [wait].",
      examples: [
        '$ workflow abort ./plan',
        'aborted:4711',
        '$ workflow abort ./plan --json      # when no engine runs it',
        '{"error":{"code":"E_NO_ENGINE","message":"no engine is running ./plan"}}',
      ],
      exitCodes: ['5  no engine is running the planspace (--json: code E_NO_ENGINE)'],
    },
    io,
    async (planspace) => {
      const paths = planspacePaths(planspace);
      const hold = await readHold(paths);
      if (!hold || !isProcessAlive(hold.pid)) throw new NoEngineError(planspace);
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

/**
 * The text of an answer: the words joined by spaces; or standard input, for `-` or for no
 * words when standard input is not a terminal (long answers, `cat notes.md | workflow answer`),
 * without its final line ending.
 *
 * @throws {UsageError} for no words at a terminal, or an answer that is empty or only blanks.
 */
async function answerText(words: readonly string[], io: VerbIO): Promise<string> {
  const fromStdin = (words.length === 1 && words[0] === '-') || (words.length === 0 && !io.terminalInput);
  if (words.length === 0 && !fromStdin) {
    throw new UsageError("give the answer: as words, or '-' to read it from standard input; nothing was sent");
  }
  const text = fromStdin ? (await io.readStdin()).toString('utf8').replace(/(\r?\n)+$/, '') : words.join(' ');
  if (text.trim() === '') {
    throw new UsageError(`the answer is empty${fromStdin ? ' (standard input held none)' : ''}; nothing was sent`);
  }
  return text;
}

/** `workflow answer <planspace> --id ID [text...]`: answer an open question. */
export function answerCommand(io: VerbIO) {
  return defineVerb<[string, string[]], CommonOptions & { id?: string }>(
    {
      usage: 'answer <planspace> [text...]',
      summary:
        'Answer the open question --id names (see workflow questions). For an escalation: retry, skip, abort, or ' +
        'guidance for another attempt. A question is open while the run that asked it lives and nobody answered it. ' +
        "The text: the words, or standard input for '-' or when it is piped.",
      examples: [
        '$ workflow answer ./plan --id q2 "use the v2 API"',
        'answered:q2',
        '$ workflow answer ./plan --id q3 - < guidance.md    # a long answer',
        '$ workflow answer ./plan --id q2 "use v3"',
        "question q2 is already answered ('use the v2 API'); nothing was sent",
      ],
      exitCodes: [
        '2  bad usage or bad input, no --id, an empty answer, or the question is unknown, answered, closed, or ' +
          'its run has ended; nothing was sent',
      ],
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
      const question = await answerQuestion(paths, options.id, await answerText(words, io));
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
        'List the open questions (asked during the live run, not yet answered): id | step | from | asked | question. ' +
        "At a terminal, none is said as 'no open questions'; a pipe gets nothing.",
      examples: [
        '$ workflow questions ./plan',
        'q2 | step=4 | from=step-4 | asked=2026-11-22T02:30:00.000Z | Which API?',
      ],
    },
    io,
    async (planspace) => {
      const pending = await openQuestions(planspacePaths(planspace));
      // A person at a terminal is told; a script reading a pipe counts lines, and gets none.
      if (pending.length === 0 && io.isTTY) return { text: 'no open questions', json: pending };
      // Escaped: a question must not be able to look like something else; --json keeps it exact.
      const lines = pending.map(
        (q) =>
          `${q.id} | step=${q.step ?? '-'} | from=${printable(q.asker)} | asked=${q.askedAt} | ${printable(q.question)}`,
      );
      return { text: lines.join('\n'), bytes: Buffer.from(lines.map((line) => `${line}\n`).join('')), json: pending };
    },
  );
}
