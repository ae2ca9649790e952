/**
 * Deleting whole folder trees without holding up the event loop: `fs.rm` with `recursive`
 * walks the tree in JavaScript, one thread-pool round trip per entry, and while it deletes a
 * few worktrees (thousands of files) every other callback of the process waits behind it: the
 * git commands of a merge running alongside took 100 ms each to be seen ending. One `rm -rf`
 * process does the same walk in the kernel's time only.
 */
import { execFile } from 'node:child_process';

/**
 * Deletes each folder in `paths` with everything in it, by one `rm -rf --` process; a path
 * that does not exist is no error.
 *
 * @param paths - absolute folders; none: nothing is started.
 * @throws {Error} naming the folders and what `rm` printed when it fails (a folder it may not
 *   write to).
 */
export function removeFolders(paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    execFile('rm', ['-rf', '--', ...paths], { encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`cannot delete ${paths.join(', ')}: ${stderr.trim() || error.message}`, { cause: error }));
    });
  });
}
