/**
 * Agent files: markdown with YAML frontmatter naming the model, whose body is prepended to the
 * prompt of the agent they describe (the exception handler, for one).
 *
 * ```markdown
 * ---
 * description: Investigates a failed step and fixes it or escalates
 * model: claude-opus
 * timeout: 30m        # optional: stop the agent's process tree after this long
 * stall: 5m           # optional: stop it after this long with no output and no message
 * ---
 * # Exception handler
 * ...
 * ```
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isErrno, PlanspaceError } from '../errors.js';
import { parseSimpleFrontmatter } from './frontmatter.js';
import { assertName } from '../names.js';
import { packagePath } from '../package-root.js';
import { parseDuration } from '../schedule/attributes.js';
import { readRegularFile } from '../fs/regular-file.js';

/** An agent file, parsed. */
export interface AgentFile {
  readonly file: string;
  /** The model that runs the agent (frontmatter `model`). */
  readonly model: string;
  readonly description: string;
  /** Frontmatter `timeout` (a duration such as `30m`), in ms; undefined if not given. */
  readonly timeoutMs?: number;
  /** Frontmatter `stall` (a duration such as `5m`), in ms; undefined if not given. */
  readonly stallMs?: number;
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
 * @throws {AgentFileError} naming the file, and the file's line where there is one: no
 *   frontmatter, bad YAML, frontmatter that is not keys and values, no `model`, a `model`
 *   or `description` that is not a string (YAML reads `model: true` as a boolean), or a
 *   `timeout` or `stall` that is not a duration such as `5s`, `30m` or `2h`.
 */
export function parseAgentFile(text: string, file: string): AgentFile {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) throw new AgentFileError(`${file}: expected YAML frontmatter between --- lines at the top`);
  const front = readFields(match[1] ?? '', file);
  const field = (key: string, expected: string): string | undefined => {
    const entry = front.get(key);
    if (entry === undefined) return undefined;
    if (typeof entry.value === 'string' && entry.value !== '') return entry.value;
    throw new AgentFileError(
      `${file}:${entry.line}: frontmatter '${key}' must be ${expected} (a string), got ${describeValue(entry.value)}`,
    );
  };
  const model = field('model', 'a model name');
  if (model === undefined) throw new AgentFileError(`${file}: frontmatter has no 'model'`);
  const duration = (key: string): number | undefined => {
    const entry = front.get(key);
    if (entry === undefined || entry.value === null) return undefined;
    const ms = typeof entry.value === 'string' ? parseDuration(entry.value) : undefined;
    if (ms !== undefined) return ms;
    throw new AgentFileError(
      `${file}:${entry.line}: frontmatter '${key}' must be a duration such as '500ms', '5s', '30m' or '2h', got ${describeValue(entry.value)}`,
    );
  };
  const timeoutMs = duration('timeout');
  const stallMs = duration('stall');
  return {
    file,
    model,
    description: field('description', 'text') ?? '',
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(stallMs !== undefined && { stallMs }),
    body: match[2] ?? '',
  };
}

/** A frontmatter value as plain data, and the file's line of its key. */
interface Field {
  readonly value: unknown;
  readonly line: number;
}

/**
 * The keys of a frontmatter (the text between the `---` lines, which start on the file's line
 * 2): through `parseSimpleFrontmatter` when it can, else with the `yaml` package, loaded then.
 *
 * @throws {AgentFileError} for bad YAML (with the file's line and column), and for frontmatter
 *   that is not keys and values.
 */
function readFields(text: string, file: string): Map<string, Field> {
  const fields = new Map<string, Field>();
  const simple = parseSimpleFrontmatter(text);
  if (simple !== undefined) {
    const lines = text.split(/\r?\n/);
    for (const [key, value] of Object.entries(simple)) {
      fields.set(key, { value, line: lines.findIndex((line) => line.startsWith(`${key}:`)) + 2 });
    }
    return fields;
  }
  const yaml = loadYaml();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter });
  const fileLine = (offset: number): number => lineCounter.linePos(offset).line + 1;
  const [yamlError] = doc.errors;
  if (yamlError) {
    // yaml's message counts lines from the frontmatter and quotes the text over several lines.
    const reason = (yamlError.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:$/, '');
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    throw new AgentFileError(`${file}:${line + 1}:${col}: bad YAML frontmatter: ${reason}`, { cause: yamlError });
  }
  const front = doc.contents;
  if (front === null || (yaml.isScalar(front) && front.value === null)) return fields;
  if (!yaml.isMap(front)) {
    throw new AgentFileError(
      `${file}:${fileLine(front.range[0])}: frontmatter must be keys and values such as 'model: <name>', got ${describeValue(front.toJS(doc))}`,
    );
  }
  for (const pair of front.items) {
    if (!yaml.isScalar(pair.key) || typeof pair.key.value !== 'string' || fields.has(pair.key.value)) continue;
    const value: unknown = yaml.isNode(pair.value) ? pair.value.toJS(doc) : pair.value;
    fields.set(pair.key.value, { value, line: fileLine(pair.key.range[0]) });
  }
  return fields;
}

/** The `yaml` package, loaded on first use: most agent files never need it (issue 11.4). */
function loadYaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

/** A YAML value as an error message names it: `boolean true`, `number 4`, `a list`, `an empty value`. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return value instanceof Date ? `the date ${value.toISOString()}` : 'a mapping';
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value;
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
      return parseAgentFile((await readRegularFile(file)).toString('utf8'), file);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }
  throw new AgentFileError(`no agent file ${name}.md in ${searchPath.join(', ')}`);
}
