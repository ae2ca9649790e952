/**
 * Questions for a human: `ask:` messages from agents and escalations from the engine. Each is
 * a file `questions/<id>.json` in the planspace, so that `workflow answer` from any shell can
 * answer it; the answer wakes the engine through its mailbox (`answered:<id>`).
 *
 * An answer names the question it answers, and only an *open* question takes one: not yet
 * answered, not closed, and asked during the run of the engine that holds the planspace now.
 * The engine closes a question when its asker's attempt ends, and every question of its run
 * when the run ends; a new run closes those a dead engine left. So an answer can never reach
 * an agent that did not ask it, whatever happened in between. Answering and closing take the
 * same lock (`questions.lock`), so a question is either answered or closed, never both.
 *
 * ```json
 * {"id":"q3","kind":"ask","step":4,"asker":"step-4","question":"Which API version?",
 *  "askedAt":"2026-11-22T02:30:00.000Z","answer":"v2","answeredAt":"2026-11-22T02:31:10.000Z"}
 * ```
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, PlanspaceError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { FileExistsError, writeNewFileAtomic } from '../fs/write-new.js';
import { assertOwnFolder, FOLDER_MODE } from '../fs/guard.js';
import { withFileLock } from '../fs/lock.js';
import { isProcessAlive } from '../mailbox/liveness.js';
import { readRegularFile } from '../fs/regular-file.js';
import { send } from '../mailbox/send.js';
import { readHold } from '../planspace/hold.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import { ENGINE_MAILBOX } from '../prompt/render.js';
import { printable } from '../text/printable.js';

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

/**
 * An answer named no question, or one that is not open: unknown, already answered, closed, or
 * asked during a run that has ended. Nothing was written or sent. The CLI exits 2.
 */
export class QuestionNotOpenError extends PlanspaceError {
  constructor(message: string) {
    super('E_QUESTION_NOT_OPEN', message);
  }
}

/** The planspace's `questions/` folder. */
export function questionsDir(paths: PlanspacePaths): string {
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

/** The questions neither answered nor closed, oldest first, whether or not their run still lives. */
export async function pendingQuestions(paths: PlanspacePaths): Promise<Question[]> {
  return (await listQuestions(paths)).filter((question) => question.answer === undefined && !question.cancelled);
}

/** True when `question` was asked during run `runBase`: by the engine itself or by one of its agents. */
export function askedDuring(question: Question, runBase: string): boolean {
  return question.runId === runBase || question.runId?.startsWith(`${runBase}-`) === true;
}

/** The run a question was asked during (`r...`, the part of its run id before the first `-`). */
function runOf(question: Question): string {
  return question.runId?.split('-')[0] ?? 'unknown';
}

/** The run id of the live engine that holds the planspace (`engine.json`), if any. */
async function liveRun(paths: PlanspacePaths): Promise<string | undefined> {
  const hold = await readHold(paths);
  return hold !== undefined && hold.pid !== 0 && isProcessAlive(hold.pid) ? hold.runId : undefined;
}

/**
 * The open questions, oldest first: pending, and asked during the run of the live engine.
 * None while no engine runs the planspace.
 *
 * @throws {PlanspaceError} `E_QUESTION_INVALID` for a record that is not a question.
 */
export async function openQuestions(paths: PlanspacePaths): Promise<Question[]> {
  const pending = await pendingQuestions(paths);
  const run = await liveRun(paths);
  return run === undefined ? [] : pending.filter((question) => askedDuring(question, run));
}

/** The lock taken to answer or close questions (`<planspace>/questions.lock`). */
function questionsLock(paths: PlanspacePaths): string {
  return questionsDir(paths);
}

/**
 * Closes the pending questions that `select` picks, with `reason`, under the questions lock:
 * an answer to one of them is refused from then on.
 *
 * @returns the questions it closed (none if every one was answered first).
 */
export async function closeQuestions(
  paths: PlanspacePaths,
  select: (question: Question) => boolean,
  reason: string,
): Promise<Question[]> {
  // Most runs ask nothing: no lock is taken when there is nothing to close.
  if (!(await pendingQuestions(paths)).some(select)) return [];
  return withFileLock(questionsLock(paths), async (assertHeld) => {
    const closing = (await pendingQuestions(paths)).filter(select);
    for (const question of closing) {
      assertHeld();
      await writeFileAtomic(
        join(questionsDir(paths), `${question.id}.json`),
        `${JSON.stringify({ ...question, cancelled: reason })}\n`,
      );
    }
    return closing;
  });
}

/**
 * Closes the pending questions of runs other than `runBase`: asked by agents of an engine
 * that is gone, they would be answered into nobody's mailbox (or a later agent's).
 *
 * @returns the closed questions.
 */
export function cancelStaleQuestions(paths: PlanspacePaths, runBase: string, reason: string): Promise<Question[]> {
  return closeQuestions(paths, (question) => !askedDuring(question, runBase), reason);
}

/**
 * Records a new question with the next free id (exclusive create: ids never collide), written
 * whole under a temporary name first, so a reader never meets a half-written record.
 */
export async function recordQuestion(
  paths: PlanspacePaths,
  question: Omit<Question, 'id' | 'askedAt'>,
): Promise<Question> {
  assertOwnFolder(questionsDir(paths), 'questions folder');
  await mkdir(questionsDir(paths), { recursive: true, mode: FOLDER_MODE });
  for (let n = (await listQuestions(paths)).length + 1; ; n += 1) {
    const recorded: Question = { id: `q${n}`, ...question, askedAt: new Date().toISOString() };
    try {
      // Whole or not at all: `workflow questions` may read the folder at any moment.
      await writeNewFileAtomic(join(questionsDir(paths), `${recorded.id}.json`), `${JSON.stringify(recorded)}\n`, '');
      return recorded;
    } catch (error) {
      if (!(error instanceof FileExistsError)) throw error;
    }
  }
}

/** `open questions: q3, q4`, or `no question is open`, for error messages. */
export function describeOpen(open: readonly Question[]): string {
  return open.length === 0 ? 'no question is open' : `open questions: ${open.map((q) => q.id).join(', ')}`;
}

/**
 * Answers open question `id` and wakes the engine (`answered:<id>` to its mailbox), under the
 * questions lock.
 *
 * @throws {QuestionNotOpenError} if `id` names no question, or one already answered, closed,
 *   or asked during a run that has ended; nothing is written or sent then.
 * @throws {PlanspaceError} `E_QUESTION_INVALID` for a record that is not a question.
 */
export async function answerQuestion(paths: PlanspacePaths, id: string, answer: string): Promise<Question> {
  return withFileLock(questionsLock(paths), async (assertHeld) => {
    const all = await listQuestions(paths);
    const question = all.find((candidate) => candidate.id === id);
    const refuse = (why: string): never => {
      throw new QuestionNotOpenError(`question ${id} ${why}; nothing was sent`);
    };
    if (question === undefined)
      throw new QuestionNotOpenError(`no question ${id}; ${describeOpen(await openQuestions(paths))}`);
    if (question.answer !== undefined) return refuse(`is already answered (${quote(question.answer)})`);
    if (question.cancelled !== undefined) return refuse(`is closed: ${printable(question.cancelled)}`);
    const run = await liveRun(paths);
    if (run === undefined || !askedDuring(question, run)) {
      return refuse(`was asked during run ${runOf(question)}, which has ended`);
    }
    const answered: Question = { ...question, answer, answeredAt: new Date().toISOString() };
    assertOwnFolder(paths.root, 'planspace', { link: true });
    assertOwnFolder(questionsDir(paths), 'questions folder');
    assertHeld();
    await writeFileAtomic(join(questionsDir(paths), `${question.id}.json`), `${JSON.stringify(answered)}\n`);
    await send(paths.root, ENGINE_MAILBOX, `answered:${question.id}\n`, { from: 'human' });
    return answered;
  });
}

/**
 * An answer quoted in an error message: `'teal'`, shortened past 60 characters, its control
 * characters escaped (an earlier answer may come from anyone, and the message goes to a terminal).
 */
function quote(text: string): string {
  return `'${printable(text.length > 60 ? `${text.slice(0, 57)}...` : text)}'`;
}
