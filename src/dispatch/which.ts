/**
 * Finding a command as `execvp` does, for agents started through a wrapper: the wrapper itself
 * always starts, so a missing agent command must be noticed before, to be reported as a command
 * that could not start rather than as the wrapper's exit code 127.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** The search path `execvp` uses when the environment has no PATH. */
const DEFAULT_PATH = '/bin:/usr/bin';

/** True if `path` is a regular file this process may execute. Synchronous: two quick system calls. */
function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR' || code === 'ELOOP') return false;
    throw error;
  }
}

/**
 * Whether `file` names an executable: a path with a `/` relative to `cwd`, else a name looked
 * up in `path` (a PATH value; an empty entry means `cwd`).
 *
 * @throws unexpected `fs` errors (ENOENT, EACCES and the like just mean "not this one").
 */
export function commandExists(file: string, path: string | undefined, cwd: string): boolean {
  if (file === '') return false;
  if (file.includes('/')) return isExecutable(isAbsolute(file) ? file : resolve(cwd, file));
  for (const dir of (path ?? DEFAULT_PATH).split(delimiter)) {
    if (isExecutable(join(dir === '' ? cwd : resolve(cwd, dir), file))) return true;
  }
  return false;
}
