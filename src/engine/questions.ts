/**
 * Questions for a human: `ask:` messages from agents and escalations from the engine. Each is
 * a file `questions/<id>.json` in the planspace, so that `workflow answer` from any shell can
 * answer it; the answer wakes the engine through its mailbox (`answered:<id>`).
 *
 * ```json
 * {"id":"q3","kind":"ask","step":4,"asker":"step-4","question":"Which API version?",
 *  "askedAt":"2026-11-22T02:30:00.000Z","answer":"v2","answeredAt":"2026-11-22T02:31:10.000Z"}
 * ```
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, NoSuchStepError, PlanspaceError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readRegularFile } from '../fs/regular-file.js';
import { send } from '../mailbox/send.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import { ENGINE_MAILBOX } from '../prompt/render.js';

/** A question and, once given, its answer. */
export interface Question {
  /** `q1`, `q2`, ... in the order asked. */
  readonly id: string;
  /** `ask`: an agent asked; `escalation`: a failed step needs a decision. */
  readonly kind: 'ask' | 'escalation';
  readonly step: number | null;
  /** The mailbox that receives `answer:<text>`. */
  readonly asker: string;
  readonly question: string;
  readonly askedAt: string;
  /** The engine run the question belongs to (the asker's run id, or the engine's for an escalation). */
  readonly runId?: string;
  readonly answer?: string;
  readonly answeredAt?: string;
  /** Set when the question can no longer be answered usefully (its asker's run ended); why. */
  readonly cancelled?: string;
}

/** There is no pending question to answer (none at all, or none with that id). */
export class NoSuchQuestionError extends NoSuchStepError {}

function questionsDir(paths: PlanspacePaths): string {
  return join(paths.root, 'questions');
}

/** Every question, in the order asked. */
export async function listQuestions(paths: PlanspacePaths): Promise<Question[]> {
  let files: string[];
  try {
    files = await readdir(questionsDir(paths));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  const questions = await Promise.all(
    files
      .filter((file) => /^q\d+\.json$/.test(file))
      .map(async (file) =>
        parseQuestion((await readRegularFile(join(questionsDir(paths), file))).toString('utf8'), file, paths),
      ),
  );
  return questions.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
}

/**
 * Parses `questions/<file>`. Its `id` names the file an answer is written to, so it must be the
 * file's own name: a hand-edited `"id": "../../x"` would otherwise send the write outside.
 *
 * @throws {PlanspaceError} `E_QUESTION_INVALID` naming the file, for bad JSON or a wrong id.
 */
function parseQuestion(text: string, file: string, paths: PlanspacePaths): Question {
  const path = join(questionsDir(paths), file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PlanspaceError('E_QUESTION_INVALID', `${path}: not a question record: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
  if (`${String(id)}.json` !== file) {
    throw new PlanspaceError(
      'E_QUESTION_INVALID',
      `${path}: not a question record: its id is not '${file.slice(0, -5)}'`,
    );
  }
  return value as Question;
}

/** The questions still waiting for an answer, oldest first. */
export async function pendingQuestions(paths: PlanspacePaths): Promise<Question[]> {
  return (await listQuestions(paths)).filter((question) => question.answer === undefined && !question.cancelled);
}

/**
 * Cancels the pending questions of runs other than `runBase`: asked by agents of an engine
 * that is gone, they would be answered into nobody's mailbox (or a later agent's).
 *
 * @returns the cancelled questions.
 */
export async function cancelStaleQuestions(
  paths: PlanspacePaths,
  runBase: string,
  reason: string,
): Promise<Question[]> {
  const stale = (await pendingQuestions(paths)).filter(
    (question) => !question.runId?.startsWith(`${runBase}-`) && question.runId !== runBase,
  );
  for (const question of stale) {
    await writeFileAtomic(
      join(questionsDir(paths), `${question.id}.json`),
      `${JSON.stringify({ ...question, cancelled: reason })}\n`,
    );
  }
  return stale;
}

/** Records a new question with the next free id (exclusive create: ids never collide). */
export async function recordQuestion(
  paths: PlanspacePaths,
  question: Omit<Question, 'id' | 'askedAt'>,
): Promise<Question> {
  await mkdir(questionsDir(paths), { recursive: true, mode: 0o700 });
  for (let n = (await listQuestions(paths)).length + 1; ; n += 1) {
    const recorded: Question = { id: `q${n}`, ...question, askedAt: new Date().toISOString() };
    try {
      await writeFile(join(questionsDir(paths), `${recorded.id}.json`), `${JSON.stringify(recorded)}\n`, {
        flag: 'wx',
      });
      return recorded;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
  }
}

/**
 * Answers a pending question and wakes the engine.
 *
 * @param id - the question; default the oldest pending one.
 * @throws {NoSuchQuestionError} if there is no such pending question.
 */
export async function answerQuestion(paths: PlanspacePaths, id: string | undefined, answer: string): Promise<Question> {
  const pending = await pendingQuestions(paths);
  const question = id === undefined ? pending[0] : pending.find((candidate) => candidate.id === id);
  if (!question) {
    const all = await listQuestions(paths);
    const known = id === undefined ? undefined : all.find((candidate) => candidate.id === id);
    if (known?.cancelled !== undefined)
      throw new NoSuchQuestionError(`question ${id} was cancelled: ${known.cancelled}`);
    if (known) throw new NoSuchQuestionError(`question ${id} is already answered`);
    throw new NoSuchQuestionError(id === undefined ? 'no question is waiting for an answer' : `no question ${id}`);
  }
  const answered: Question = { ...question, answer, answeredAt: new Date().toISOString() };
  await writeFileAtomic(join(questionsDir(paths), `${question.id}.json`), `${JSON.stringify(answered)}\n`);
  await send(paths.root, ENGINE_MAILBOX, `answered:${question.id}\n`, { from: 'human' });
  return answered;
}
