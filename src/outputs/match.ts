/**
 * Finding a unit's declared outputs (`outputs:`) in its working tree, and hashing them. The
 * only file-system side of outputs besides the record file (`record.ts`).
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { glob } from 'tinyglobby';
import { isErrno } from '../errors.js';

/** What the declared outputs matched in a working tree. */
export interface OutputMatch {
  /** Every file matched, relative to the tree with `/` separators, sorted, each once. */
  readonly files: readonly string[];
  /** The paths and globs that matched no file, as written. */
  readonly missing: readonly string[];
}

/**
 * Finds the files `patterns` name in `tree`. A plain path names a file, or a folder standing
 * for every file under it; a glob (tinyglobby's syntax: `*`, `**`, `?`, `[...]`, `{a,b}`) names
 * the files it matches, dot files included. Only regular files count: symbolic links are not
 * followed (one could point out of the tree), and an empty folder matches nothing. `.git`
 * (git's own files) is never an output.
 *
 * @param tree - the unit's working tree, absolute.
 * @param patterns - the step's `outputs:` values (checked by `checkOutputPattern`).
 * @throws the `fs` errors of reading the tree other than a missing file.
 */
export async function matchOutputs(tree: string, patterns: readonly string[]): Promise<OutputMatch> {
  const files = new Set<string>();
  const missing: string[] = [];
  for (const pattern of patterns) {
    const found = await glob([pattern], {
      cwd: tree,
      dot: true,
      onlyFiles: true,
      followSymbolicLinks: false,
      expandDirectories: true,
      ignore: ['**/.git', '**/.git/**'],
    });
    let any = false;
    for (const path of found) {
      if (!(await isRegularFile(join(tree, path)))) continue;
      files.add(path);
      any = true;
    }
    if (!any) missing.push(pattern);
  }
  return { files: [...files].sort(), missing };
}

/** True for a regular file (not a link, folder or device); false when there is none. */
async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

/** A file's size and content hash. */
export interface FileDigest {
  /** Size in bytes, as read. */
  readonly bytes: number;
  /** SHA-256 of the content, 64 lowercase hex digits. */
  readonly sha256: string;
}

/**
 * Reads a file whole, streaming, and hashes it with SHA-256. Opened without following a link
 * and without blocking on a FIFO: only a regular file is read.
 *
 * @returns its digest, or undefined when there is no regular file at `path` (none, or a link,
 *   folder, FIFO or device in its place).
 * @throws the other `fs` errors of reading it (`EACCES`, `EIO`).
 */
export async function digestFile(path: string): Promise<FileDigest | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ELOOP') || isErrno(error, 'ENXIO')) return undefined;
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      hash.update(chunk);
    }
    return { bytes, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}
