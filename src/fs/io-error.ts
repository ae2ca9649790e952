/**
 * Names the file in a file-system error that does not. Calls on an open file (`write`) report
 * `ENOSPC: no space left on device, write` without saying which file, and the CLI shows an
 * error's message as its one-line reason.
 *
 * @param error - what was caught.
 * @param path - the file the failed call was writing.
 * @returns `error` itself if it is not a system error or already names a path; else an error
 *   with the same `code`, `errno` and `syscall`, with `path` set and named at the end of the
 *   message as Node.js names it elsewhere: `ENOSPC: no space left on device, write '/plan/x.md'`.
 */
export function namePath(error: unknown, path: string): unknown {
  if (!(error instanceof Error)) return error;
  const { code, errno, syscall, path: named } = error as NodeJS.ErrnoException;
  if (typeof syscall !== 'string' || named !== undefined) return error;
  return Object.assign(new Error(`${error.message} '${path}'`, { cause: error }), { code, errno, syscall, path });
}
