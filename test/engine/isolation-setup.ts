/**
 * Setup for the isolation tests: an engine run (`makeRun`) whose codespace is a real git
 * repository with one commit on `main`, and whose model `git-agent` is `agent-git.js` doing what
 * each test's actions say.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AGENTS_BIN, makeRun, type RunSetup } from './setup.js';

export const AGENT_GIT = join(AGENTS_BIN, 'agent-git.js');

/** What agent-git.js records of one run. */
export interface GitAgentRecord {
  readonly run: number;
  readonly cwd: string;
  readonly codespace: string;
  readonly prompt: string;
  readonly git: readonly { args: string[]; status: number; stderr: string }[];
}

/** An action of agent-git.js (see the fixture). */
export type GitAgentAction =
  | { write: string; text: string }
  | { append: string; text: string }
  | { git: string[] }
  | { waitFor: string }
  | { exit: number };

/** Runs git in `cwd` as the tests' user; returns its output without the final newline. */
export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  }).replace(/\n$/, '');
}

/** The isolation test's run: the codespace is a git repository on `main`. */
export interface IsolationRun extends RunSetup {
  /** Sets the actions of each unit (by block name, or `step-N`). */
  act(actions: Readonly<Record<string, readonly GitAgentAction[]>>, env?: Record<string, string>): Promise<void>;
  /** What agent-git.js recorded for mailbox name `agent` (`step-1-a`), run `n` (1-based). */
  agentRecord(agent: string, n: number): Promise<GitAgentRecord>;
  /** `git` in the codespace. */
  git(...args: string[]): string;
  /** Short names of branches under `planspace/`. */
  planspaceBranches(): string[];
  /** Paths of every worktree but the codespace's own. */
  extraWorktrees(): string[];
}

/**
 * `makeRun` with `schedule` (and `env` for every agent and the handler), its codespace made a
 * repository holding `files` in one commit on branch `main`, and model `git-agent`.
 */
export async function makeIsolationRun(
  schedule: string,
  files: Readonly<Record<string, string>> = { 'README.md': 'hello\n' },
  env: Readonly<Record<string, string>> = {},
): Promise<IsolationRun> {
  const setup = await makeRun({ schedule, env });
  const code = setup.codespace;
  gitIn(code, 'init', '--quiet', '--initial-branch=main');
  for (const [path, text] of Object.entries(files)) await writeFile(join(code, path), text);
  gitIn(code, 'add', '-A');
  gitIn(code, 'commit', '--quiet', '-m', 'initial');
  const act: IsolationRun['act'] = async (actions, env = {}) => {
    await setup.setModel('git-agent', {
      command: AGENT_GIT,
      // A model file's braces are placeholders: {{ and }} stand for literal ones.
      env: { RECORD_DIR: setup.records, ACTIONS: JSON.stringify(actions).replace(/[{}]/g, '$&$&'), ...env },
    });
  };
  await act({});
  return {
    ...setup,
    act,
    agentRecord: async (agent, n) =>
      JSON.parse(await readFile(join(setup.records, `${agent}-${n}.json`), 'utf8')) as GitAgentRecord,
    git: (...args) => gitIn(code, ...args),
    planspaceBranches: () =>
      gitIn(code, 'branch', '--list', '--format=%(refname:short)', 'planspace/*')
        .split('\n')
        .filter((line) => line !== ''),
    extraWorktrees: () =>
      gitIn(code, 'worktree', 'list', '--porcelain')
        .split('\n')
        .filter((line) => line.startsWith('worktree '))
        .map((line) => line.slice('worktree '.length))
        .slice(1),
  };
}

/** The files of the planspace's `worktrees/` records folder; [] when it does not exist. */
export async function worktreeRecordFiles(planspace: string): Promise<string[]> {
  return readdir(join(planspace, 'worktrees')).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
}
