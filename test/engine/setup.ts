/**
 * Setup for the engine's end-to-end tests: a temporary folder with a planspace, a codespace,
 * a model registry whose every model is a fake agent script, an exception-handler agent file,
 * and a launcher that runs the real `workflow` executable on them.
 *
 * ```
 * <root>/plan/       the planspace (from the skill's implement-proposal template unless a schedule is given)
 * <root>/code/       the codespace, agents' working directory
 * <root>/models/     <model>.toml for every model of IMPLEMENT_PROPOSAL_MODELS, and handler.toml
 * <root>/agents/     exception-handler.md (model: handler)
 * <root>/records/    what agent-record.js saw, one step-N.json per step
 * ```
 *
 * Every process a test starts through this setup (engines, and pids handed to `track`) is
 * killed when the test ends, so that a failing test leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onTestFinished } from 'vitest';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import type { LoggedEvent } from '../../src/planspace/log.js';
import { readSchedule } from '../../src/schedule/operations.js';
import type { StepStatus } from '../../src/schedule/step.js';
import { childEnv, makeTree, ROOT, SKILL, WORKFLOW_BIN, type RunResult } from '../helpers.js';

/** The fake agent programs. */
export const AGENTS_BIN = join(ROOT, 'test', 'fixtures', 'bin');
export const AGENT_RECORD = join(AGENTS_BIN, 'agent-record.js');
export const AGENT_HANDLER = join(AGENTS_BIN, 'agent-handler.js');
export const AGENT_TREE = join(AGENTS_BIN, 'agent-tree.js');

/** The models the implement-proposal template names. */
export const IMPLEMENT_PROPOSAL_MODELS = ['claude-opus', 'glm', 'gpt-5.3-codex-high', 'gpt-5.3-codex-high2'] as const;

/** A model registry entry, written as `<name>.toml`. */
export interface ModelEntry {
  readonly command: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** Options of `makeRun`. */
export interface RunSetupOptions {
  /** Environment of the engine process, which its agents inherit (FAIL_ONCE, ASK, VERDICT). */
  readonly env?: Readonly<Record<string, string>>;
  /** `schedule.md`; default: `workflow init` from the skill's implement-proposal template. */
  readonly schedule?: string;
  /** The skills folder given as `--skills`, whose template is the default schedule; default: the tests' own skill. */
  readonly skill?: string;
  /** Extra or replacing model entries, by model name. */
  readonly models?: Readonly<Record<string, ModelEntry>>;
  /** `exception-handler.md` in the agents folder; `null` writes none. */
  readonly handler?: string | null;
}

/** How an engine process ended. */
export interface EngineResult extends RunResult {
  readonly signal: NodeJS.Signals | null;
}

/** A running `workflow run`. */
export interface EngineProcess {
  readonly pid: number;
  /** Resolves when the process has exited and its output is closed. */
  readonly ended: Promise<EngineResult>;
  /** Standard output so far. */
  stdout(): string;
}

/** The folders of one test's run and what a test does with them. */
export interface RunSetup {
  readonly root: string;
  readonly planspace: string;
  readonly codespace: string;
  readonly models: string;
  readonly agents: string;
  readonly records: string;
  /** The `workflow run` arguments: the planspace and every source folder. */
  readonly runArgs: readonly string[];
  /** Starts `workflow run` with `runArgs` and `extraArgs`. */
  start(extraArgs?: readonly string[]): EngineProcess;
  /** Runs `workflow run` to its end. */
  run(extraArgs?: readonly string[]): Promise<EngineResult>;
  /** Runs another `workflow` verb (answer, questions, abort, ...) to its end. */
  workflow(args: readonly string[]): Promise<EngineResult>;
  /** Writes (or replaces) `<name>.toml` in the model registry. */
  setModel(name: string, entry: ModelEntry): Promise<void>;
  /** Every step's status, by step number. */
  statuses(): Promise<Map<number, StepStatus>>;
  /** `events.jsonl`, each line parsed on its own; throws unless it ends with a whole line. */
  events(): Promise<LoggedEvent[]>;
  /**
   * While the engine runs: the whole lines of `events.jsonl` so far (an append that a read
   * meets half done is left for a later look); none before the file exists.
   */
  eventsSoFar(): Promise<LoggedEvent[]>;
  /** What agent-record.js saved for step `n`. */
  record(n: number): Promise<AgentRecord>;
  /** The files agent-record.js has written. */
  recordFiles(): Promise<string[]>;
  /** Kills `pid` (and its process group, if it leads one) when the test ends, if still alive. */
  track(pid: number): void;
}

/** What agent-record.js saves: the prompt it read, where and with what it ran. */
export interface AgentRecord {
  readonly attempt: number;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly prompt: string;
  readonly answer?: string;
}

function tomlString(text: string): string {
  return JSON.stringify(text);
}

/** The events of `events.jsonl` text made of whole lines. */
function parseEvents(text: string): LoggedEvent[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LoggedEvent);
}

/** A model entry as TOML: `command`, `args` and an `[env]` table. */
export function modelToml(entry: ModelEntry): string {
  const lines = [`command = ${tomlString(entry.command)}`];
  if (entry.args) lines.push(`args = [${entry.args.map(tomlString).join(', ')}]`);
  const env = Object.entries(entry.env ?? {});
  if (env.length > 0) lines.push('[env]', ...env.map(([key, value]) => `${key} = ${tomlString(value)}`));
  return `${lines.join('\n')}\n`;
}

/** Starts `bin/workflow.js` with `args`; standard input is closed (no typed answers). */
function startWorkflow(args: readonly string[], env: Readonly<Record<string, string>>): ChildProcess {
  return spawn(process.execPath, [WORKFLOW_BIN, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): EngineProcess {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const ended = new Promise<EngineResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolvePromise({
        code: code ?? -1,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
  if (child.pid === undefined) throw new Error('workflow did not start');
  return { pid: child.pid, ended, stdout: () => Buffer.concat(stdout).toString('utf8') };
}

/** Sends `signal` to a process, or to a process group for a negative pid; false if there is none. */
function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Polls `check` until it returns a value other than undefined or false.
 *
 * @param what - names the awaited condition in the error.
 * @param timeoutMs - default 30000: generous, for a loaded machine.
 * @throws if the time passes first.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Reads a JSON file, or undefined while it does not exist or is still being written. */
export async function readJsonIfThere<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Waits until `pid` is gone (a zombie counts as gone). */
export function waitForExit(pid: number, what: string): Promise<true> {
  return waitFor(`${what} (pid ${pid}) to exit`, () => !isProcessAlive(pid));
}

/**
 * Builds the folders of one engine run (see the file comment) and kills whatever the test
 * started when it ends. The folder is removed after a passing test and kept after a failing
 * one, for a look at the planspace.
 */
export async function makeRun(options: RunSetupOptions = {}): Promise<RunSetup> {
  const root = await makeTree({});
  const planspace = join(root, 'plan');
  const codespace = join(root, 'code');
  const models = join(root, 'models');
  const agents = join(root, 'agents');
  const records = join(root, 'records');
  for (const dir of [codespace, models, agents, records]) await mkdir(dir, { recursive: true });

  const recordModel: ModelEntry = { command: AGENT_RECORD, env: { RECORD_DIR: records } };
  const entries: Record<string, ModelEntry> = {
    ...Object.fromEntries(IMPLEMENT_PROPOSAL_MODELS.map((name) => [name, recordModel])),
    handler: { command: AGENT_HANDLER },
    ...options.models,
  };
  for (const [name, entry] of Object.entries(entries)) await writeFile(join(models, `${name}.toml`), modelToml(entry));
  const handler = options.handler === undefined ? '---\nmodel: handler\n---\nYou handle failures.\n' : options.handler;
  if (handler !== null) await writeFile(join(agents, 'exception-handler.md'), handler);

  const env = options.env ?? {};
  const started: ChildProcess[] = [];
  const tracked: number[] = [];
  const skill = options.skill ?? SKILL;
  const runArgs = [planspace, '--skills', skill, '--models', models, '--agents', agents, '--codespace', codespace];
  const launch = (args: readonly string[]): EngineProcess => {
    const child = startWorkflow(args, env);
    started.push(child);
    return collect(child);
  };

  if (options.schedule === undefined) {
    const init = await launch([
      'init',
      planspace,
      '--template',
      join(skill, 'templates', 'implement-proposal.md'),
      '--set',
      'task-name=e2e',
      '--set',
      'proposal-path=proposal.md',
    ]).ended;
    if (init.code !== 0) throw new Error(`workflow init failed: ${init.stderr}`);
  } else {
    await mkdir(planspace);
    await writeFile(join(planspace, 'schedule.md'), options.schedule);
  }

  onTestFinished(async (context) => {
    for (const child of started) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const pid of tracked) {
      if (!isProcessAlive(pid)) continue;
      if (!signalProcess(-pid, 'SIGKILL')) signalProcess(pid, 'SIGKILL');
    }
    if (context.task.result?.state === 'fail') console.error(`kept the failed test's folder: ${root}`);
    else await rm(root, { recursive: true, force: true });
  });

  return {
    root,
    planspace,
    codespace,
    models,
    agents,
    records,
    runArgs,
    start: (extraArgs = []) => launch(['run', ...runArgs, ...extraArgs]),
    run: (extraArgs = []) => launch(['run', ...runArgs, ...extraArgs]).ended,
    workflow: (args) => launch(args).ended,
    setModel: (name, entry) => writeFile(join(models, `${name}.toml`), modelToml(entry)),
    statuses: async () => new Map((await readSchedule(planspace)).steps.map((step) => [step.number, step.status])),
    events: async () => {
      const text = await readFile(join(planspace, 'events.jsonl'), 'utf8');
      if (!text.endsWith('\n')) throw new Error('events.jsonl does not end with a whole line');
      return parseEvents(text);
    },
    eventsSoFar: async () => {
      let text: string;
      try {
        text = await readFile(join(planspace, 'events.jsonl'), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      return parseEvents(text.slice(0, text.lastIndexOf('\n') + 1));
    },
    record: async (n) => JSON.parse(await readFile(join(records, `step-${n}.json`), 'utf8')) as AgentRecord,
    recordFiles: async () => (await readdir(records)).sort(),
    track: (pid) => {
      tracked.push(pid);
    },
  };
}
