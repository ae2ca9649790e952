/**
 * Answers reach only the question they name, while its asker still waits, through real
 * processes: an answer to a question of a run that ended (a crashed or aborted engine, or an
 * attempt that timed out) or to one already answered is refused with exit 2, nothing is sent,
 * and the next question, asked under a new id, gets only its own answer.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Question } from '../../src/engine/questions.js';
import { hashFile } from '../helpers.js';
import { makeRun, waitFor, type RunSetup } from './setup.js';

const SCHEDULE = ['# Schedule: questions', '', '[wait] 1. choose | glm -- pick a colour', ''].join('\n');

/** Waits for an open question of step 1's agent in `workflow questions` other than `seen`; returns its id. */
function questionOf(setup: RunSetup, seen: readonly string[] = []): Promise<string> {
  return waitFor("step 1's question in workflow questions", async () => {
    const { stdout } = await setup.workflow(['questions', setup.planspace]);
    const ids = [...stdout.matchAll(/^(q\d+) \| step=1 \| from=step-1 \| /gm)].map((match) => match[1] ?? '');
    return ids.find((id) => !seen.includes(id));
  });
}

async function readQuestion(setup: RunSetup, id: string): Promise<Question> {
  return JSON.parse(await readFile(join(setup.planspace, 'questions', `${id}.json`), 'utf8')) as Question;
}

describe('workflow answer: only to an open question', () => {
  it("refuses an answer to a crashed run's question; the next run's question gets only its own answer", async () => {
    const setup = await makeRun({ schedule: SCHEDULE, env: { ASK: '1' } });
    const first = setup.start();
    const old = await questionOf(setup);
    const asked = await readQuestion(setup, old);
    const dispatched = (await setup.events()).find((event) => event.event === 'dispatched');
    setup.track(Number(dispatched?.pid));
    // The engine dies without a word (SIGKILL): nothing closes its question but the facts.
    process.kill(first.pid, 'SIGKILL');
    await first.ended;

    // No engine runs the planspace: nobody waits for that answer, so the question is not open.
    expect(await setup.workflow(['questions', setup.planspace])).toMatchObject({ code: 0, stdout: '' });
    const record = join(setup.planspace, 'questions', `${old}.json`);
    const before = await hashFile(record);
    const stale = await setup.workflow(['answer', setup.planspace, '--id', old, 'stale answer']);
    expect(stale).toMatchObject({ code: 2, stdout: '' });
    expect(stale.stderr).toBe(
      `question ${old} was asked during run ${String(asked.runId).split('-')[0]}, which has ended; nothing was sent\n`,
    );
    // An answer that names no question answers none.
    const unnamed = await setup.workflow(['answer', setup.planspace, 'stale answer']);
    expect(unnamed).toMatchObject({ code: 2, stdout: '' });
    expect(unnamed.stderr).toBe(
      'name the question to answer: workflow answer <planspace> --id <id> <text>; no question is open\n',
    );
    expect(await hashFile(record)).toBe(before);

    // The next run's agent asks again, under a new id, and gets the answer given to that id.
    const second = setup.start();
    const fresh = await questionOf(setup, [old]);
    const answered = await setup.workflow(['answer', setup.planspace, '--id', fresh, 'fresh answer']);
    expect(answered).toMatchObject({ code: 0, stdout: `answered:${fresh}\n` });
    const result = await second.ended;
    expect(result.code).toBe(0);
    expect((await setup.record(1)).answer).toBe('answer:fresh answer\n');
    expect((await readQuestion(setup, old)).answer).toBeUndefined();
  });

  it('closes the questions of a run when it ends; an answer to one is refused', async () => {
    const setup = await makeRun({ schedule: SCHEDULE, env: { ASK: '1' } });
    const engine = setup.start();
    const id = await questionOf(setup);
    expect((await setup.workflow(['abort', setup.planspace])).code).toBe(0);
    expect((await engine.ended).code).toBe(4);

    expect(await setup.workflow(['questions', setup.planspace])).toMatchObject({ code: 0, stdout: '' });
    const closed = await readQuestion(setup, id);
    expect(closed.answer).toBeUndefined();
    expect(closed.cancelled).toMatch(/ended before an answer$/);
    const events = await setup.events();
    expect(events.filter((event) => event.event === 'question-cancelled').map((event) => event.question)).toEqual([id]);

    const refused = await setup.workflow(['answer', setup.planspace, '--id', id, 'too late']);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe(`question ${id} is closed: ${String(closed.cancelled)}; nothing was sent\n`);
  });

  it("refuses an answer to a timed-out attempt's question; the retry's question gets only its own", async () => {
    const schedule = [
      '# Schedule: questions',
      '',
      '[wait] 1. choose | glm -- pick a colour',
      // Long enough for the retry's answer to come before its own timeout on a loaded machine
      // (at a load of 16, 5 s was not: the retry timed out too and the run waited for a human).
      '  - timeout: 10s',
      '  - retries: 1',
      '',
    ].join('\n');
    const setup = await makeRun({ schedule, env: { ASK: '1' } });
    const engine = setup.start();
    const old = await questionOf(setup);
    // The first attempt times out waiting; the retry asks again under a new id, and is answered
    // at once (before its own timeout).
    const fresh = await questionOf(setup, [old]);
    expect(await setup.workflow(['answer', setup.planspace, '--id', fresh, 'fresh answer'])).toMatchObject({
      code: 0,
    });

    expect((await setup.workflow(['questions', setup.planspace])).stdout).not.toContain(`${old} |`);
    const stale = await setup.workflow(['answer', setup.planspace, '--id', old, 'stale answer']);
    expect(stale).toMatchObject({ code: 2, stdout: '' });
    expect(stale.stderr).toMatch(
      new RegExp(`^question ${old} is closed: its asker \\(run \\S+\\) ended before an answer`),
    );
    expect((await engine.ended).code).toBe(0);
    expect((await setup.record(1)).answer).toBe('answer:fresh answer\n');
  });

  it('refuses a second answer to a question and an unknown id; the asker gets the first answer only', async () => {
    const setup = await makeRun({ schedule: SCHEDULE, env: { ASK: '1' } });
    const engine = setup.start();
    const id = await questionOf(setup);
    const unknown = await setup.workflow(['answer', setup.planspace, '--id', 'q99', 'blue']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toBe(`no question q99; open questions: ${id}\n`);

    expect(await setup.workflow(['answer', setup.planspace, '--id', id, 'teal'])).toMatchObject({ code: 0 });
    const again = await setup.workflow(['answer', setup.planspace, '--id', id, 'red']);
    expect(again).toMatchObject({ code: 2, stdout: '' });
    expect(again.stderr).toBe(`question ${id} is already answered ('teal'); nothing was sent\n`);
    expect((await engine.ended).code).toBe(0);
    expect((await setup.record(1)).answer).toBe('answer:teal\n');
  });

  it("never delivers an earlier run's answer left in the engine's mailbox to the new question", async () => {
    const setup = await makeRun({ schedule: SCHEDULE, env: { ASK: '1' } });
    // What a crash leaves: q1 answered while no engine ran, and its wake-up still unread.
    const old: Question = {
      id: 'q1',
      kind: 'ask',
      step: 1,
      asker: 'step-1',
      question: 'Which colour should the button be?',
      askedAt: '2026-01-01T00:00:00.000Z',
      runId: 'rold-1-1',
      answer: 'stale answer',
      answeredAt: '2026-01-01T00:01:00.000Z',
    };
    await mkdir(join(setup.planspace, 'questions'));
    await writeFile(join(setup.planspace, 'questions', 'q1.json'), `${JSON.stringify(old)}\n`);
    const sent = await setup.workflow(['mailbox', 'send', setup.planspace, 'orchestrator', 'answered:q1']);
    expect(sent.code).toBe(0);

    const engine = setup.start();
    const fresh = await questionOf(setup);
    expect(fresh).toBe('q2');
    await waitFor('the stale answer to be logged', async () =>
      (await setup.events()).some((event) => event.event === 'stale-answer' && event.question === 'q1'),
    );
    expect(await setup.workflow(['answer', setup.planspace, '--id', fresh, 'fresh answer'])).toMatchObject({
      code: 0,
    });
    expect((await engine.ended).code).toBe(0);
    expect((await setup.record(1)).answer).toBe('answer:fresh answer\n');
  });
});
