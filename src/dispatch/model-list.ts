/**
 * `workflow models list`: every model file a run would find, folder by folder in the order a run
 * searches them, with whether its command can be started, and which files a same-named file
 * earlier in the search path hides.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, PlanspaceError } from '../errors.js';
import { NAME_PATTERN } from '../names.js';
import { agentPath } from './command.js';
import { locateCommand } from './locate.js';
import { readModelFile, type ModelSpec } from './models.js';
import { AGENT_COMMANDS } from './shims.js';

/** One model file in the search path. */
export interface ListedModel {
  /** The model's name: the file's name without `.toml`. */
  readonly name: string;
  /** The file (absolute when the search path is). */
  readonly file: string;
  /** The model as read; undefined when the file is malformed (see `problem`). */
  readonly spec?: ModelSpec;
  /** Where the command was found: its path; undefined when not found or the file is malformed. */
  readonly commandPath?: string;
  /**
   * Why the model cannot be used, when it cannot: `command 'x' not found on PATH`, or the
   * file's error (`<file>: 'args[1]': unknown placeholder {plan}`); undefined when it can.
   */
  readonly problem?: string;
  /** The file a run takes instead, found earlier in the search path; undefined when this one wins. */
  readonly shadowedBy?: string;
}

/** The `*.toml` files of a folder whose names are model names, sorted; none if there is no such folder. */
async function modelFiles(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.endsWith('.toml') && NAME_PATTERN.test(entry.slice(0, -'.toml'.length)))
    .sort();
}

/**
 * Lists the model files of `searchPath` (see `modelSearchPath`): folder by folder, in each the
 * files by name. A command is looked up as preflight does: a path against the codespace, a
 * name on the agents' `PATH` (the model's own `env.PATH` if it sets one, else the package's
 * `workflow`/`mailbox` commands, then `basePath`).
 *
 * @param options.codespace - the agents' working folder, for relative commands.
 * @param options.basePath - the `PATH` the run would inherit (default `process.env.PATH`).
 * @throws file-system errors other than a missing folder, and none for a malformed model file:
 *   that is listed with its problem.
 */
export async function listModels(
  searchPath: readonly string[],
  options: { codespace: string; basePath?: string },
): Promise<ListedModel[]> {
  const winners = new Map<string, string>();
  const listed: ListedModel[] = [];
  for (const dir of searchPath) {
    for (const entry of await modelFiles(dir)) {
      const name = entry.slice(0, -'.toml'.length);
      const file = join(dir, entry);
      const shadowedBy = winners.get(name);
      if (shadowedBy === undefined) winners.set(name, file);
      listed.push({
        name,
        file,
        ...(shadowedBy !== undefined && { shadowedBy }),
        ...(await describeModel(name, file, options)),
      });
    }
  }
  return listed;
}

/** A model file's spec and command lookup, or its problem. */
async function describeModel(
  name: string,
  file: string,
  options: { codespace: string; basePath?: string },
): Promise<Pick<ListedModel, 'spec' | 'commandPath' | 'problem'>> {
  let spec: ModelSpec | undefined;
  try {
    spec = await readModelFile(name, file);
  } catch (error) {
    if (!(error instanceof PlanspaceError)) throw error;
    return { problem: error.message };
  }
  // Removed between the listing and the read.
  if (spec === undefined) return { problem: `${file}: no such file` };
  const path = spec.env.PATH ?? agentPath(AGENT_COMMANDS, options.basePath ?? process.env.PATH);
  const lookup = await locateCommand(spec.command, { cwd: options.codespace, path });
  if (lookup.found) return { spec, commandPath: lookup.path };
  return { spec, problem: `command '${spec.command}' ${lookup.reason}` };
}
