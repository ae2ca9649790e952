/**
 * A folder a long-running process keeps writing into, checked again before each write. An
 * agent (same user) can rename the planspace's `artifacts/` away and put a link to a folder
 * outside in its place while the run goes on; the engine's next prompt and output files then
 * landed outside. Node has no `openat` to write through a descriptor held on the folder, so
 * each write is preceded by an `lstat` that must find the very folder the run started with
 * (same device and inode, a folder, not a link, still private). The window left is the few
 * system calls between that check and the write's `open`.
 */
import { lstatSync } from 'node:fs';
import { isErrno, PlanspaceError } from '../errors.js';
import { assertOwnFolderStats } from './guard.js';

/** A held folder is no longer the folder it was: removed, replaced, or a link now. */
export class FolderReplacedError extends PlanspaceError {
  /** The folder, as given. */
  readonly path: string;

  constructor(path: string, message: string) {
    super('E_FOLDER_REPLACED', message);
    this.path = path;
  }
}

/** What `holdFolder` returns: the check to make before each write into the folder. */
export interface HeldFolder {
  /** The folder. */
  readonly path: string;
  /**
   * Checks that the folder is still the one held.
   *
   * @throws {FolderReplacedError} naming it, if it is gone, a link, or another folder.
   * @throws {UnsafePathError} if it became writable by others.
   */
  assertSame(): void;
}

/**
 * Takes note of the folder at `path` (which must exist, be a folder and not a link) so that
 * each later write into it can check it is still that folder.
 *
 * @param what - how messages name it, e.g. `artifacts folder`.
 * @throws {UnsafePathError} if it is a link or a folder others may write to.
 * @throws {FolderReplacedError} if it is missing or not a folder.
 */
export function holdFolder(path: string, what: string): HeldFolder {
  const replaced = (how: string): FolderReplacedError =>
    new FolderReplacedError(
      path,
      `${what} ${path} was replaced while the run went on (${how}); nothing more is written there`,
    );
  const identity = (): string => {
    let stats;
    try {
      stats = lstatSync(path);
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) throw replaced('it is gone');
      throw error;
    }
    if (stats.isSymbolicLink()) throw replaced('it is a symbolic link now');
    if (!stats.isDirectory()) throw replaced('it is not a folder now');
    // The same stats: a second lstat for the owner and mode doubled the cost of each check.
    assertOwnFolderStats(path, what, stats);
    return `${stats.dev}:${stats.ino}`;
  };
  const held = identity();
  return {
    path,
    assertSame: () => {
      if (identity() !== held) throw replaced('it is another folder now');
    },
  };
}
