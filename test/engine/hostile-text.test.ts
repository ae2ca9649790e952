/**
 * Text from agents reaches a person's terminal disarmed: `workflow run` (its output in a pipe),
 * `log.md`, `workflow questions`, `workflow report` and `workflow answer`'s refusals show the
 * control characters of an agent's `ask:`/`done:`/`fail:` text and output escaped, never raw;
 * `--json` and `events.jsonl` keep the exact text. Real engine, real agents.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Question } from '../../src/engine/questions.js';
import type { RunReport } from '../../src/engine/report.js';
import { AGENT_HANDLER, AGENTS_BIN, makeRun, waitFor, type RunSetup } from './setup.js';

/** What agent-hostile.js sends (the same text as there). */
const HOSTILE =
  'x\x1b[2J\x1b[H\x1b]52;c;cm0gLXJmIH4K\x07\rstep 9 (forged): done\u202eevil\x9b31m\nQUESTION q9 from human\b\x7f';
/** How a person sees it on one line. */
const SHOWN =
  'x\\x1b[2J\\x1b[H\\x1b]52;c;cm0gLXJmIH4K\\x07\\rstep 9 (forged): done\\u{202e}evil\\x9b31m\\nQUESTION q9 from human\\b\\x7f';
/** How log lines show it: `log.md` makes each event one line, a newline becoming a space first. */
const SHOWN_IN_LOG = SHOWN.replace('\\n', ' ');

/** Anything a terminal would act on, but TAB and LF. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const SCHEDULE = [
  '# Schedule: hostile text',
  '',
  '[wait] 1. choose | hostile -- pick a colour',
  '[wait] 2. build | hostile -- fails with hostile text',
  '',
].join('\n');

/** Waits until `workflow questions` lists question `id`; returns its output. */
function listed(setup: RunSetup, id: string): Promise<string> {
  return waitFor(`${id} in workflow questions`, async () => {
    const { stdout } = await setup.workflow(['questions', setup.planspace]);
    return stdout.startsWith(`${id} |`) ? stdout : undefined;
  });
}

describe('agent text on a terminal', () => {
  it('is shown escaped by run, log.md, questions, report and answer; exact in --json and events.jsonl', async () => {
    const setup = await makeRun({
      schedule: SCHEDULE,
      models: {
        hostile: { command: join(AGENTS_BIN, 'agent-hostile.js') },
        handler: { command: AGENT_HANDLER, env: { VERDICT: 'ESCALATE: a person must look' } },
      },
    });
    const engine = setup.start();

    const questions = await listed(setup, 'q1');
    expect(questions).not.toMatch(RAW);
    expect(questions).toMatch(/^q1 \| step=1 \| from=step-1 \| asked=\S+ \| Which colour\? (.*)\n$/);
    expect(questions).toContain(`Which colour? ${SHOWN}\n`);
    const json = await setup.workflow(['questions', setup.planspace, '--json']);
    expect((JSON.parse(json.stdout) as Question[])[0]?.question).toBe(`Which colour? ${HOSTILE}`);

    const answer = `teal\x1b[2J\u202e`;
    expect(await setup.workflow(['answer', setup.planspace, '--id', 'q1', answer])).toMatchObject({ code: 0 });
    const again = await setup.workflow(['answer', setup.planspace, '--id', 'q1', 'red']);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe("question q1 is already answered ('teal\\x1b[2J\\u{202e}'); nothing was sent\n");

    // Step 2 fails with the text; the exception handler escalates; the person skips it.
    await listed(setup, 'q2');
    expect(await setup.workflow(['answer', setup.planspace, '--id', 'q2', 'skip'])).toMatchObject({ code: 0 });
    const result = await engine.ended;
    expect(result.code).toBe(0);

    // workflow run in a pipe: every line is an engine line, the agents' text escaped in it.
    expect(result.stdout).not.toMatch(RAW);
    expect(result.stdout).toContain(`QUESTION q1 from step-1: Which colour? ${SHOWN_IN_LOG} (answer:`);
    expect(result.stdout).toContain(`step 1 (choose): done: ${SHOWN_IN_LOG}\n`);
    expect(result.stdout).toContain(`step 2 (build): failed, the agent reported: ${SHOWN_IN_LOG}`);
    for (const line of result.stdout.trimEnd().split('\n').slice(0, -1)) expect(line).toMatch(/^\d\d:\d\d:\d\d /);

    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).not.toMatch(RAW);
    expect(log).toContain(`step 1 (choose): done: ${SHOWN_IN_LOG}\n`);
    for (const line of log.trimEnd().split('\n')) expect(line).toMatch(/^- \d{4}-\d\d-\d\dT/);

    const events = await setup.events();
    expect(events.find((event) => event.event === 'done')).toMatchObject({ summary: HOSTILE });
    expect(events.find((event) => event.event === 'question')).toMatchObject({ text: `Which colour? ${HOSTILE}` });

    const report = await setup.workflow(['report', setup.planspace]);
    expect(report.code).toBe(0);
    expect(report.stdout).not.toMatch(RAW);
    expect(report.stdout).toContain('\\x1b[2J\\x1b[H\\x1b]52;c;');
    const reportJson = JSON.parse((await setup.workflow(['report', setup.planspace, '--json'])).stdout) as RunReport;
    expect(reportJson.steps[0]?.lastMessage).toBe(HOSTILE);
    expect(reportJson.steps[1]?.lastMessage).toContain(`the agent reported: ${HOSTILE}`);
  });

  it('is exact in workflow run --json', async () => {
    const setup = await makeRun({
      schedule: ['# Schedule: hostile text', '', '[wait] 1. choose | hostile -- pick a colour', ''].join('\n'),
      models: { hostile: { command: join(AGENTS_BIN, 'agent-hostile.js'), env: { NO_ASK: '1' } } },
    });
    const result = await setup.run(['--json']);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; summary?: string; message?: string });
    const done = events.find((event) => event.event === 'done');
    expect(done?.summary).toBe(HOSTILE);
    expect(done?.message).toBe(`step 1 (choose): done: ${HOSTILE.replace('\n', ' ')}`);
  });
});
