/**
 * Finding the program a model's `command` names, the way starting it without a shell would:
 * a command with a `/` is a path (relative to the agent's working folder), any other is looked
 * up in the folders of `PATH`, in order.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { isErrno } from '../errors.js';

/** Where a command was found, or why it was not. */
export type CommandLookup =
  | { readonly found: true; readonly path: string }
  | {
      readonly found: false;
      /** Completes "command 'x' ...": `not found on PATH`, `does not exist`, `is not executable`, `is a folder`. */
      readonly reason: string;
    };

/**
 * Locates `command` as the engine would start it.
 *
 * @param command - a model's `command` (already resolved against its TOML file if it starts with `./`).
 * @param options.cwd - the agent's working folder (the codespace), for relative paths and `PATH` entries.
 * @param options.path - the agent's `PATH`, folders separated by `path.delimiter`.
 * @returns the executable file's path, or the reason none was found.
 * @throws file-system errors other than a missing file, a non-folder in a path or a denied access.
 */
export async function locateCommand(command: string, options: { cwd: string; path: string }): Promise<CommandLookup> {
  if (command.includes('/')) {
    const path = resolve(options.cwd, command);
    const kind = await executableKind(path);
    if (kind === 'executable') return { found: true, path };
    return { found: false, reason: kind === 'missing' ? 'does not exist' : `is ${kind}` };
  }
  for (const folder of options.path.split(delimiter)) {
    // An empty entry means the current folder, as in a shell.
    const path = join(resolve(options.cwd, folder), command);
    if ((await executableKind(path)) === 'executable') return { found: true, path };
  }
  return { found: false, reason: 'not found on PATH' };
}

type Kind = 'executable' | 'missing' | 'not executable' | 'a folder, not a program';

async function executableKind(path: string): Promise<Kind> {
  try {
    if ((await stat(path)).isDirectory()) return 'a folder, not a program';
    await access(path, constants.X_OK);
    return 'executable';
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return 'missing';
    if (isErrno(error, 'EACCES')) return 'not executable';
    throw error;
  }
}

/**
 * `locateCommand` without yielding, for a start that is itself synchronous: true if `command`
 * names an executable file that starting it without a shell would run.
 *
 * @param options - as `locateCommand`'s.
 * @throws as `locateCommand`.
 */
export function commandExistsSync(command: string, options: { cwd: string; path: string }): boolean {
  const candidates = command.includes('/')
    ? [resolve(options.cwd, command)]
    : options.path.split(delimiter).map((folder) => join(resolve(options.cwd, folder), command));
  return candidates.some((path) => {
    try {
      if (statSync(path).isDirectory()) return false;
      accessSync(path, constants.X_OK);
      return true;
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR') || isErrno(error, 'EACCES')) return false;
      throw error;
    }
  });
}
