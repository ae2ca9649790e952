/**
 * Agent files: markdown with YAML frontmatter naming the model, whose body is prepended to the
 * prompt of the agent they describe (the exception handler, for one).
 *
 * ```markdown
 * ---
 * description: Investigates a failed step and fixes it or escalates
 * model: claude-opus
 * ---
 * # Exception handler
 * ...
 * ```
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, PlanspaceError } from '../errors.js';
import { parseFrontmatter } from './frontmatter.js';
import { assertName } from '../names.js';
import { packagePath } from '../package-root.js';

/** An agent file, parsed. */
export interface AgentFile {
  readonly file: string;
  /** The model that runs the agent (frontmatter `model`). */
  readonly model: string;
  readonly description: string;
  /** The markdown after the frontmatter. */
  readonly body: string;
}

/** An agent file is missing or malformed. */
export class AgentFileError extends PlanspaceError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_AGENT_FILE', message, options);
  }
}

/** The package's own `agents/` folder, searched after `--agents DIR`. */
export const PACKAGE_AGENTS = packagePath('agents');

/**
 * Parses an agent file's text.
 *
 * @throws {AgentFileError} naming the file: no frontmatter, bad YAML, or no `model`.
 */
export function parseAgentFile(text: string, file: string): AgentFile {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) throw new AgentFileError(`${file}: expected YAML frontmatter between --- lines at the top`);
  let front: unknown;
  try {
    front = parseFrontmatter(match[1] ?? '');
  } catch (error) {
    throw new AgentFileError(`${file}: bad YAML frontmatter: ${(error as Error).message}`, { cause: error });
  }
  const { model, description } = (front ?? {}) as Record<string, unknown>;
  if (typeof model !== 'string' || model === '') throw new AgentFileError(`${file}: frontmatter has no 'model'`);
  return { file, model, description: typeof description === 'string' ? description : '', body: match[2] ?? '' };
}

/**
 * Reads agent `<name>.md` from the first folder of `searchPath` that has it.
 *
 * @throws {AgentFileError} if no folder has it (listing the folders searched) or it is malformed.
 */
export async function findAgentFile(name: string, searchPath: readonly string[]): Promise<AgentFile> {
  assertName('agent', name);
  for (const dir of searchPath) {
    const file = join(dir, `${name}.md`);
    try {
      return parseAgentFile(await readFile(file, 'utf8'), file);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }
  throw new AgentFileError(`no agent file ${name}.md in ${searchPath.join(', ')}`);
}
