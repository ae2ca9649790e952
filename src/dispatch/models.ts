/**
 * The model registry: `<model>.toml` files that say how to start the CLI agent for a model.
 *
 * ```toml
 * command = "codex"                     # the program: found on PATH, or a path relative to this
 *                                       # file's folder when it starts with ./ or ../; never
 *                                       # run through a shell
 * args = ["exec", "--add-dir", "{planspace}"]   # its arguments before the prompt; may hold
 *                                       # placeholders (see placeholders.ts)
 * prompt_mode = "arg"                   # "stdin" (default): prompt on standard input;
 *                                       # "arg": prompt text as the last argument
 * report = "required"                   # "optional" (default): exit 0 is success;
 *                                       # "required": exit 0 without a done: report fails
 * timeout = "60m"                       # optional: the `timeout:` and `stall:` of steps that
 * stall = "10m"                         # set none (durations as in the schedule)
 * [env]                                 # optional extra environment variables (placeholders too)
 * CODEX_HOME = "/home/me/.codex"
 * ```
 *
 * Files are searched in `--models DIR`, then `<codespace>/.agents/models`, then the user's
 * config folder (`$XDG_CONFIG_HOME/planspace/models`, default `~/.config/planspace/models`).
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { isErrno, PlanspaceError } from '../errors.js';
import { assertName } from '../names.js';
import { readRegularFile } from '../fs/regular-file.js';
import { parseDuration } from '../schedule/attributes.js';
import { placeholderProblem } from './placeholders.js';

/** How to start the agent for one model. */
export interface ModelSpec {
  readonly name: string;
  /** The file it was read from. */
  readonly file: string;
  readonly command: string;
  /** Arguments before the prompt, placeholders (`{planspace}`) not yet filled in. */
  readonly args: readonly string[];
  readonly promptMode: 'stdin' | 'arg';
  /** Extra environment variables; their values may hold placeholders, as `args`. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * `report = "required"`: an agent that exits 0 without a `done:` report has failed (a CLI
   * whose permission system refused the `mailbox send` exits 0 all the same). Default
   * `"optional"`: exit 0 is success.
   */
  readonly report: 'required' | 'optional';
  /** `timeout` in ms: the time limit of a step that sets no `timeout:`; undefined if not given. */
  readonly timeoutMs?: number;
  /** `stall` in ms: the stall limit of a step that sets no `stall:`; undefined if not given. */
  readonly stallMs?: number;
}

/** A model has no TOML file in the search path, or its file is malformed. */
export class ModelError extends PlanspaceError {
  readonly model: string;

  constructor(model: string, message: string, options?: ErrorOptions) {
    super('E_MODEL', message, options);
    this.model = model;
  }
}

/** The folders searched for `<model>.toml`, in order. */
export function modelSearchPath(options: { models?: string; codespace: string; env?: NodeJS.ProcessEnv }): string[] {
  const env = options.env ?? process.env;
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return [
    ...(options.models === undefined ? [] : [options.models]),
    join(options.codespace, '.agents', 'models'),
    join(config, 'planspace', 'models'),
  ];
}

/** The keys of a model file. */
const MODEL_KEYS = ['command', 'args', 'prompt_mode', 'env', 'report', 'timeout', 'stall'] as const;

/**
 * The model-file key that `key` is a typo of (`comand` for `command`: at most two letters
 * added, dropped or changed), or undefined. Other unknown keys are left alone: model files
 * shared with the original skill's tools may carry keys of their own.
 */
function nearMissKey(key: string): string | undefined {
  if ((MODEL_KEYS as readonly string[]).includes(key)) return undefined;
  return MODEL_KEYS.find((known) => editDistance(key.toLowerCase(), known) <= Math.min(2, known.length - 2));
}

/** Levenshtein distance: the fewest one-character insertions, deletions or changes from `a` to `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Parses and checks one model file.
 *
 * @throws {ModelError} naming the file and the field: bad TOML, a missing or empty
 *   `command`, `args` that is not a list of strings, an unknown `prompt_mode` or `report`,
 *   `env` that is not a table of strings, a `timeout` or `stall` that is not a duration such
 *   as `30m`, an unknown placeholder or lone brace in an `args` or `env` value, or a key
 *   that is a typo of one of these (`comand`), with the fix.
 */
export function parseModelToml(name: string, text: string, file: string): ModelSpec {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text);
  } catch (error) {
    throw new ModelError(name, `${file}: not valid TOML: ${(error as Error).message}`, { cause: error });
  }
  const fail = (field: string, expected: string): never => {
    throw new ModelError(name, `${file}: '${field}' must be ${expected}`);
  };
  for (const key of Object.keys(data)) {
    const meant = nearMissKey(key);
    if (meant !== undefined) {
      throw new ModelError(name, `${file}: unknown key '${key}' (did you mean '${meant}'?)`);
    }
  }
  const { command, args = [], prompt_mode: promptMode = 'stdin', env = {}, report = 'optional' } = data;
  if (typeof command !== 'string' || command.trim() === '') return fail('command', 'a non-empty string');
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string')) return fail('args', 'a list of strings');
  if (promptMode !== 'stdin' && promptMode !== 'arg') return fail('prompt_mode', '"stdin" or "arg"');
  if (
    typeof env !== 'object' ||
    env === null ||
    Array.isArray(env) ||
    !Object.values(env).every((v) => typeof v === 'string')
  ) {
    return fail('env', 'a table of strings');
  }
  if (report !== 'required' && report !== 'optional') return fail('report', '"required" or "optional"');
  const templates: [string, string][] = [
    ...args.map((arg: string, i): [string, string] => [`args[${String(i)}]`, arg]),
    ...Object.entries(env as Record<string, string>).map(([key, value]): [string, string] => [`env.${key}`, value]),
  ];
  for (const [field, text] of templates) {
    const problem = placeholderProblem(text);
    if (problem !== undefined) throw new ModelError(name, `${file}: '${field}': ${problem}`);
  }
  const duration = (key: 'timeout' | 'stall'): number | undefined => {
    const value = data[key];
    if (value === undefined) return undefined;
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    return ms ?? fail(key, "a duration such as '90s', '30m' or '2h'");
  };
  const timeoutMs = duration('timeout');
  const stallMs = duration('stall');
  // A command shipped next to the model file (`./agents/coder.js`) works from any codespace.
  const program = /^\.\.?[\\/]/.test(command) ? resolve(dirname(file), command) : command;
  return {
    name,
    file,
    command: program,
    args,
    promptMode,
    env: env as Record<string, string>,
    report,
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(stallMs !== undefined && { stallMs }),
  };
}

/**
 * Finds and reads `<name>.toml` in the first folder of `searchPath` that has it.
 *
 * @throws {UsageError} for a model name that is not a safe file name.
 * @throws {ModelError} if no folder has the file (listing the folders searched) or it is malformed.
 */
export async function findModel(name: string, searchPath: readonly string[]): Promise<ModelSpec> {
  assertName('model', name);
  for (const dir of searchPath) {
    const spec = await readModelFile(name, join(dir, `${name}.toml`));
    if (spec !== undefined) return spec;
  }
  throw new ModelError(name, `unknown model '${name}': no ${name}.toml in ${searchPath.join(', ')}`);
}

/**
 * Reads and checks one model file.
 *
 * @returns the model, or undefined when there is no such file (or a path component is not a folder).
 * @throws {ModelError} for a malformed file (see `parseModelToml`).
 * @throws {NotRegularFileError} for a FIFO, folder or device in the file's place.
 */
export async function readModelFile(name: string, file: string): Promise<ModelSpec | undefined> {
  let text: string;
  try {
    // Not a FIFO planted in a models folder (it hung `run` and `check`), nor a huge file.
    text = (await readRegularFile(file)).toString('utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return undefined;
    throw error;
  }
  return parseModelToml(name, text, file);
}
