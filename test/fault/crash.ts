/**
 * Helpers of the crash tests: a planspace whose fake agents (agent-quick.js) record every
 * message they send, SIGKILL of an engine at a given moment, the processes a planspace still
 * has, and the accounting of every sent message against the engines' records and the mailbox.
 *
 * Linux only: the processes of a planspace are found through /proc/<pid>/environ.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { findProcessesByEnvironment } from '../../src/dispatch/orphans.js';
import { mailboxPaths } from '../../src/mailbox/paths.js';
import { countPending } from '../../src/mailbox/pending.js';
import { claimAll } from '../../src/mailbox/reader.js';
import type { LoggedEvent } from '../../src/planspace/log.js';
import { AGENTS_BIN, makeRun, type EngineProcess, type EngineResult, type RunSetup } from '../engine/setup.js';

const AGENT_QUICK = join(AGENTS_BIN, 'agent-quick.js');

/** How long an agent of a dead engine works on: longer than any test of the file. */
export const ORPHAN_MS = 60_000;

/** One line of what agent-quick.js sent: a message the mailbox accepted. */
interface SentMessage {
  readonly runId: string;
  readonly body: string;
}

/**
 * A planspace of `schedule`, every step of model `quick` (agent-quick.js), whose agents
 * record what they send in `<root>/sent/` and work on for ORPHAN_MS once their engine died.
 *
 * @param tmp - the engines' TMPDIR, a folder of the test's own: an engine writes nothing
 *   there, so even a SIGKILLed one must leave it empty.
 */
export async function makeCrashRun(schedule: string, tmp: string): Promise<RunSetup> {
  const setup = await makeRun({ schedule, env: { TMPDIR: tmp } });
  const sentDir = join(setup.root, 'sent');
  await mkdir(sentDir);
  await setup.setModel('quick', { command: AGENT_QUICK, env: { SENT_DIR: sentDir, ORPHAN_MS: String(ORPHAN_MS) } });
  return setup;
}

/** Sends SIGKILL to `pid`; a process already gone is no error. */
function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Waits for the engine to end, SIGKILLing it after `ms` if it is still running then. */
export async function endOrKill(engine: EngineProcess, ms: number): Promise<EngineResult> {
  const timer = setTimeout(() => {
    kill(engine.pid);
  }, ms);
  try {
    return await engine.ended;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Kills (SIGKILL, with its process group) every process whose environment names `planspace`.
 *
 * @returns each as `<pid> <WORKFLOW_RUN_ID> <WORKFLOW_AGENT>`: a passing test finds none.
 */
export function stopProcesses(planspace: string): string[] {
  const pids = findProcessesByEnvironment([`WORKFLOW_PLANSPACE=${planspace}`]);
  const found = pids.map((pid) => {
    let environ: string[] = [];
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    } catch {
      // Gone meanwhile: its pid says enough.
    }
    const value = (name: string): string =>
      environ.find((item) => item.startsWith(`${name}=`))?.slice(name.length + 1) ?? '?';
    return `${pid} ${value('WORKFLOW_RUN_ID')} ${value('WORKFLOW_AGENT')}`;
  });
  for (const pid of pids) {
    kill(-pid);
    kill(pid);
  }
  return found;
}

/** A message's identity: its kind and run id (agent-quick.js sends one of each kind per run id). */
function key(kind: string, runId: string): string {
  return `${kind} ${runId}`;
}

/** The kind of a message body: `done` for `done:3:...`. */
function kindOf(body: string): string {
  return body.split(':')[0] ?? '';
}

/** The messages the engines' records account for, by key: every progress, done summary and stale report. */
function loggedMessages(events: readonly LoggedEvent[]): Set<string> {
  const logged = new Set<string>();
  for (const event of events) {
    if (event.event === 'progress') logged.add(key('progress', String(event.detail).split(' ')[0] ?? ''));
    if (event.event === 'done' && typeof event.summary === 'string') {
      for (const part of event.summary.split('; ')) logged.add(key('done', part.split(' ')[0] ?? ''));
    }
    if (event.event === 'stale-report') logged.add(key(String(event.report), String(event.runId)));
  }
  return logged;
}

/** What `account` found. */
export interface Accounting {
  /** Messages sent but neither logged nor pending: lost. */
  readonly missing: readonly SentMessage[];
  readonly sent: number;
  /** Sent messages that an engine logged. */
  readonly logged: number;
  /** `stale-report` events. */
  readonly stale: number;
  /** Messages still pending in the `orchestrator` mailbox. */
  readonly pending: number;
}

/**
 * Matches what the agents sent (`<root>/sent/*.jsonl`) against what the engines logged and
 * what the mailbox still holds. Call it when no engine runs: a message still in the mailbox
 * then was never consumed. Claims every pending message.
 */
export async function account(setup: RunSetup, events: readonly LoggedEvent[]): Promise<Accounting> {
  const pendingCount = await countPending(setup.planspace, 'orchestrator');
  const pending = claimAll(mailboxPaths(setup.planspace, 'orchestrator'));
  expect(pending).toHaveLength(pendingCount);
  const left = new Set(pending.map((m) => key(kindOf(m.body.toString('utf8')), m.runId ?? '')));
  const logged = loggedMessages(events);
  const dir = join(setup.root, 'sent');
  const files = await Promise.all((await readdir(dir)).map((file) => readFile(join(dir, file), 'utf8')));
  const sent = files.flatMap((text) =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as SentMessage),
  );
  const isLogged = (m: SentMessage): boolean => logged.has(key(kindOf(m.body), m.runId));
  return {
    missing: sent.filter((m) => !isLogged(m) && !left.has(key(kindOf(m.body), m.runId))),
    sent: sent.length,
    logged: sent.filter(isLogged).length,
    stale: events.filter((e) => e.event === 'stale-report').length,
    pending: pending.length,
  };
}
