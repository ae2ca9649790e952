/**
 * The registry of agents: `mailboxes/<name>/agent.json` records which process owns a mailbox.
 *
 * ```json
 * {"name":"scan","pid":4711,"status":"registered","since":"2026-11-22T02:30:00.000Z"}
 * ```
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { isErrno } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { planspacePaths } from '../planspace/paths.js';
import { assertMailboxFolders, ensureMailbox } from './folders.js';
import { isProcessAlive } from './liveness.js';
import { mailboxPaths } from './paths.js';
import { countPending } from './pending.js';

/** A registered agent, as `agents` lists it. */
export interface AgentRecord {
  readonly name: string;
  readonly pid: number;
  /** `alive` if the pid is a running process, else `dead`. */
  readonly status: 'alive' | 'dead';
  /** Messages waiting in its mailbox. */
  readonly pending: number;
  /** When it registered, ISO 8601. */
  readonly since: string;
}

/**
 * Registers an agent as the owner of mailbox `name`, creating the mailbox.
 *
 * @param pid - the agent's process id (the CLI defaults it to its parent process).
 * @throws {UsageError} for a bad name, before any file is touched.
 */
export async function register(planspace: string, name: string, pid: number): Promise<void> {
  const paths = mailboxPaths(planspace, name);
  await ensureMailbox(planspace, paths);
  const record = { name, pid, status: 'registered', since: new Date().toISOString() };
  await writeFileAtomic(paths.agent, `${JSON.stringify(record)}\n`);
}

/**
 * Removes an agent's registration; its mailbox and messages stay. Idempotent.
 *
 * @throws {UnsafePathError} as `assertMailboxFolders`; nothing is removed then.
 */
export async function unregister(planspace: string, name: string): Promise<void> {
  const paths = mailboxPaths(planspace, name);
  assertMailboxFolders(paths);
  await rm(paths.agent, { force: true });
}

/** Lists registered agents by name, with liveness and pending counts. */
export async function listAgents(planspace: string): Promise<AgentRecord[]> {
  let names: string[];
  try {
    names = (await readdir(planspacePaths(planspace).mailboxes)).sort();
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  const agents: AgentRecord[] = [];
  for (const name of names) {
    let text: string;
    try {
      text = await readFile(mailboxPaths(planspace, name).agent, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) continue;
      throw error;
    }
    const { pid, since } = JSON.parse(text) as { pid: number; since: string };
    const pending = await countPending(planspace, name);
    agents.push({ name, pid, status: isProcessAlive(pid) ? 'alive' : 'dead', pending, since });
  }
  return agents;
}
