/**
 * Temporary files of a mailbox: a file is written whole under a temporary name in its
 * folder, then renamed (or linked) into place. The name is `.<target name>.<pid>.<n>.tmp`, so
 * that files left by a writer killed before its rename can be told from those of live writers
 * and removed.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isErrno } from '../errors.js';
import { isProcessAlive } from './liveness.js';

let made = 0;

/** A new temporary name for a file that will become `target`, in the same folder. */
export function temporaryPath(target: string): string {
  made += 1;
  return join(dirname(target), `.${basename(target)}.${process.pid}.${made}.tmp`);
}

/** Deletes a file; one already gone is fine. */
export function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
}

/**
 * Removes the temporary files for `target` of writers that died before renaming them.
 *
 * @throws the `fs` error for anything but a folder or file removed meanwhile.
 */
export function sweepTemporaries(target: string): void {
  const folder = dirname(target);
  const prefix = `.${basename(target)}.`;
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const pid = Number(entry.slice(prefix.length, entry.indexOf('.', prefix.length)));
    if (Number.isSafeInteger(pid) && pid !== process.pid && !isProcessAlive(pid)) removeIfThere(join(folder, entry));
  }
}
