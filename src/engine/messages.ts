/**
 * The engine's mailbox (`orchestrator`), read for as long as a run lasts: `done:`/`fail:`
 * reports of the running agents (others' are stale: logged and ignored; a running agent's
 * report tagged with another step's number is a protocol error: logged and refused, so that
 * it settles neither step), `ask:` questions from
 * any agent, `answered:` wake-ups from `workflow answer`, `added:`/`add-refused:` notes from
 * `workflow add` (logged; an added step is planned at once), and `progress:` notes, which also
 * tell the stall watch that an agent is alive. Waiters wait on `bell`, which rings after every
 * message.
 */
import { send } from '../mailbox/send.js';
import type { ClaimedMessage } from '../mailbox/reader.js';
import type { Inbox } from '../mailbox/receive.js';
import type { RunEvent } from '../planspace/log.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import { ENGINE_MAILBOX } from '../prompt/render.js';
import { askedDuring, closeQuestions, listQuestions, recordQuestion, type Question } from './questions.js';
import { parseReport } from './reports.js';

/** A done/fail report of one run id. */
export interface RunReport {
  readonly kind: 'done' | 'fail';
  readonly text: string;
}

/** Wakes waiters when something they may be waiting for happened. */
export class Bell {
  readonly #waiters = new Set<() => void>();
  #rings = 0;

  /** How many times the bell has rung: read it before looking, pass it to `wait`. */
  get rings(): number {
    return this.#rings;
  }

  ring(): void {
    this.#rings += 1;
    for (const waiter of this.#waiters) waiter();
  }

  /**
   * Resolves on the next ring or when `signal` aborts; at once if the bell rang since `since`
   * (a count read from `rings`), so that a ring between looking and waiting is not lost.
   */
  wait(signal: AbortSignal, since?: number): Promise<void> {
    if (since !== undefined && since !== this.#rings) return Promise.resolve();
    return new Promise((resolvePromise) => {
      const done = (): void => {
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolvePromise();
      };
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
      if (signal.aborted) done();
    });
  }
}

/** Writes an event to the run's records (the engine's `#log`). */
export type LogEvent = (event: RunEvent, message: string) => Promise<void>;

/** What the engine hears through its mailbox, and the questions it asks. */
export class EngineMailbox {
  /** Rings after every message handled. */
  readonly bell = new Bell();
  readonly #paths: PlanspacePaths;
  readonly #inbox: Inbox;
  readonly #runBase: string;
  readonly #log: LogEvent;
  readonly #reports = new Map<string, RunReport>();
  readonly #answers = new Map<string, string>();
  /** The agents whose reports count now: their run ids and steps. */
  readonly #expecting = new Map<string, number>();
  /** When each expected run last sent a message, in ms since the epoch. */
  readonly #heard = new Map<string, number>();
  /** Per expected run: rings after each of its messages. */
  readonly #runBells = new Map<string, Bell>();
  /** Per run: its reports, claimed and not yet acknowledged (see `acknowledge`). */
  readonly #unacked = new Map<string, ClaimedMessage[]>();
  /** The expected runs that asked a question: their questions close when they end. */
  readonly #askers = new Set<string>();

  /** Called after an `added:` message is logged: the schedule holds a new step to plan. */
  readonly #stepAdded: () => void;
  /** Called with the versions an `added:` message gives, before it is logged. */
  readonly #appended: (before: string, after: string) => void;

  /**
   * @param stepAdded - called when `workflow add` says it added a step (`added:`): the engine
   *   plans again at once, so that an added step whose needs are met starts without waiting
   *   for another step to settle. Default: nothing.
   * @param appended - called first when that message gives the schedule's versions around an
   *   append (`added:<step>:<N> <before> <after>`): the engine's next read of the schedule
   *   reads the new bytes alone (`ScheduleCache.noteAppend`). Default: nothing.
   */
  constructor(
    paths: PlanspacePaths,
    inbox: Inbox,
    runBase: string,
    log: LogEvent,
    stepAdded: () => void = () => {},
    appended: (before: string, after: string) => void = () => {},
  ) {
    this.#paths = paths;
    this.#inbox = inbox;
    this.#runBase = runBase;
    this.#log = log;
    this.#stepAdded = stepAdded;
    this.#appended = appended;
  }

  /**
   * From now on, `done:`/`fail:` reports count for this run id (and, from a sender without a
   * run id, a report tagged with this step's number, if no other run of the step is expected).
   */
  expect(runId: string, step: number): void {
    this.#expecting.set(runId, step);
    this.#runBells.set(runId, new Bell());
  }

  /** Rings after each message of an expected run (a quiet bell for any other run id). */
  runBell(runId: string): Bell {
    return this.#runBells.get(runId) ?? new Bell();
  }

  /**
   * Reports of this run id no longer count, and the questions it asked close: an answer to one
   * would otherwise reach the next agent that reads the same mailbox.
   */
  async stopExpecting(runId: string): Promise<void> {
    this.#expecting.delete(runId);
    this.#heard.delete(runId);
    this.#runBells.delete(runId);
    if (!this.#askers.delete(runId)) return;
    await this.#close((question) => question.runId === runId, `its asker (run ${runId}) ended before an answer`);
  }

  /** Closes every question still open in this run: call it when the run ends. */
  async closeRun(): Promise<void> {
    await this.#close(
      (question) => askedDuring(question, this.#runBase),
      `run ${this.#runBase} ended before an answer`,
    );
  }

  async #close(select: (question: Question) => boolean, reason: string): Promise<void> {
    for (const question of await closeQuestions(this.#paths, select, reason)) {
      await this.#log(
        { event: 'question-cancelled', question: question.id, step: question.step ?? undefined, reason },
        `question ${question.id} closed: ${reason}`,
      );
    }
  }

  /** When run `runId` last sent any message, in ms since the epoch; undefined if never. */
  lastHeard(runId: string): number | undefined {
    return this.#heard.get(runId);
  }

  /** The expected run a message belongs to: by its run id, else by its tag if that is unambiguous. */
  #runOf(runId: string | null, tag: string): string | undefined {
    if (runId !== null) return this.#expecting.has(runId) ? runId : undefined;
    const runs = [...this.#expecting].filter(([, step]) => String(step) === tag);
    return runs.length === 1 ? runs[0]?.[0] : undefined;
  }

  /** The report of run `runId`, if it arrived. */
  report(runId: string): RunReport | undefined {
    return this.#reports.get(runId);
  }

  /**
   * Acknowledges run `runId`'s reports: call it once the outcome they decided is logged. Until
   * then they stay claimed, so that an engine killed in between leaves them to the next run,
   * which logs them as stale, instead of losing them.
   */
  async acknowledge(runId: string): Promise<void> {
    const held = this.#unacked.get(runId) ?? [];
    this.#unacked.delete(runId);
    for (const message of held) await message.ack();
  }

  /** The answer to escalation `id`, once given. */
  answer(id: string): string | undefined {
    return this.#answers.get(id);
  }

  /**
   * Reads and handles messages until `stop` aborts. Each is acknowledged only once handled
   * (logged, or held as a report until `acknowledge`): an engine killed first leaves it pending.
   */
  async pump(stop: AbortSignal): Promise<void> {
    for (;;) {
      let message;
      try {
        message = await this.#inbox.next({ signal: stop, ack: false });
      } catch (error) {
        if (stop.aborted) return;
        throw error;
      }
      const report = parseReport(message.body);
      const from = message.sender ?? 'unknown';
      const run = this.#runOf(message.runId, 'tag' in report ? report.tag : '');
      if (run !== undefined) this.#heard.set(run, Date.now());
      let held = false;
      switch (report.kind) {
        case 'done':
        case 'fail': {
          const step = run === undefined ? undefined : this.#expecting.get(run);
          if (run === undefined) {
            await this.#log(
              { event: 'stale-report', from, runId: message.runId, report: report.kind },
              `ignored a stale ${report.kind}: report from ${from} (run ${message.runId ?? 'none'})`,
            );
          } else if (report.tag.trim() !== String(step)) {
            // Its run id says which step the agent runs; a tag naming another step is a mistake
            // that must not settle (or fail) this step with the other step's summary.
            await this.#log(
              { event: 'protocol-error', step, from, runId: run, tag: report.tag, report: report.kind },
              `step ${String(step)}: refused a ${report.kind}: report tagged '${report.tag}' from ${from}: ` +
                `the agent runs step ${String(step)}, so its reports must be tagged ${String(step)}`,
            );
          } else {
            this.#reports.set(run, { kind: report.kind, text: report.text });
            this.#unacked.set(run, [...(this.#unacked.get(run) ?? []), message]);
            held = true;
          }
          break;
        }
        case 'ask':
          // An agent that is gone (another run's, or an attempt that ended) would never read the answer.
          if (message.runId !== null && run === undefined) {
            await this.#log(
              { event: 'stale-question', from, runId: message.runId, text: report.text },
              `ignored a stale question from ${from} (run ${message.runId}): ${report.text}`,
            );
            break;
          }
          if (run !== undefined) this.#askers.add(run);
          await this.ask({
            kind: 'ask',
            step: Number(report.tag) || (run === undefined ? undefined : this.#expecting.get(run)) || null,
            asker: from,
            question: report.text,
            runId: message.runId ?? this.#runBase,
          });
          break;
        case 'answered':
          await this.#deliverAnswer(report.id);
          break;
        case 'progress':
          await this.#log(
            {
              event: 'progress',
              from,
              step: run === undefined ? undefined : this.#expecting.get(run),
              tag: report.tag,
              detail: report.text,
            },
            `progress from ${from}: ${report.text}`,
          );
          break;
        case 'added': {
          const [number = '', before, after] = report.text.split(' ');
          if (before !== undefined && after !== undefined) this.#appended(before, after);
          await this.#log(
            {
              event: 'step-added',
              step: Number(number) || undefined,
              addedBy: Number(report.tag) || undefined,
              from,
            },
            `step ${number} added${report.tag === '' ? '' : ` by step ${report.tag}`} (workflow add)`,
          );
          this.#stepAdded();
          break;
        }
        case 'add-refused':
          await this.#log(
            { event: 'add-refused', step: Number(report.tag) || undefined, from, reason: report.text },
            `${report.tag === '' ? from : `step ${report.tag}`}: workflow add refused: ${report.text}`,
          );
          break;
        case 'other':
          await this.#log({ event: 'message', from, text: report.text }, `message from ${from}: ${report.text}`);
      }
      if (!held) await message.ack();
      if (run !== undefined) this.#runBells.get(run)?.ring();
      this.bell.ring();
    }
  }

  /** Records a question and announces it in the log (and so on the terminal). */
  async ask(question: Omit<Question, 'id' | 'askedAt'>): Promise<Question> {
    const recorded = await recordQuestion(this.#paths, question);
    await this.#log(
      {
        event: 'question',
        question: recorded.id,
        kind: recorded.kind,
        step: recorded.step ?? undefined,
        asker: recorded.asker,
        text: recorded.question,
      },
      `QUESTION ${recorded.id} from ${recorded.asker}: ${recorded.question} (answer: workflow answer ${this.#paths.root} --id ${recorded.id} <text>)`,
    );
    return recorded;
  }

  /**
   * Delivers an answer: to the asker's mailbox for an agent's question, to the loop for an
   * escalation; never to a question of another run or of an asker that has ended (the answer
   * and the end can cross: `workflow answer` refuses only what is closed when it looks).
   */
  async #deliverAnswer(id: string): Promise<void> {
    const question = (await listQuestions(this.#paths)).find((q) => q.id === id);
    if (question?.answer === undefined) return;
    const askerEnded =
      question.kind === 'ask' && question.runId !== this.#runBase && !this.#expecting.has(question.runId ?? '');
    if (!askedDuring(question, this.#runBase) || askerEnded) {
      await this.#log(
        { event: 'stale-answer', question: id, runId: question.runId },
        `did not deliver the answer to ${id}: its asker (run ${question.runId ?? 'none'}) has ended`,
      );
      return;
    }
    await this.#log(
      { event: 'answered', question: id, answer: question.answer },
      `question ${id} answered: ${question.answer}`,
    );
    if (question.kind === 'escalation') this.#answers.set(id, question.answer);
    else await send(this.#paths.root, question.asker, `answer:${question.answer}\n`, { from: ENGINE_MAILBOX });
  }
}
