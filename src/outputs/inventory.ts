/**
 * The planspace's recorded outputs as a whole, for `workflow artifacts`: every step's
 * `artifacts/step-N-outputs.json` read, and each recorded file hashed again to see whether it
 * is still as recorded.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { digestFile, type FileDigest } from './match.js';
import { outputsFileStep, readOutputRecords, type OutputRecord } from './record.js';

/**
 * Every recorded output, by step then path: of step `step` only when given.
 *
 * @param artifacts - the planspace's `artifacts/` folder; none means no outputs.
 * @throws {OutputsFileError} for a record file that is not one the engine wrote; `fs` errors.
 */
export async function readAllOutputs(artifacts: string, step?: number): Promise<OutputRecord[]> {
  let steps: number[];
  if (step !== undefined) steps = [step];
  else {
    let names: string[];
    try {
      names = await readdir(artifacts);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
    steps = names.map(outputsFileStep).filter((number) => number !== undefined);
    steps.sort((a, b) => a - b);
  }
  const all: OutputRecord[] = [];
  for (const number of steps) {
    const records = (await readOutputRecords(artifacts, number)) ?? [];
    all.push(...[...records].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  }
  return all;
}

/** A recorded output as it is now: `same`, `changed` (other bytes), or `missing`. */
export interface CheckedOutput {
  readonly record: OutputRecord;
  readonly state: 'same' | 'changed' | 'missing';
  /** Its size and hash now; undefined when it is missing (or no longer a regular file). */
  readonly now: FileDigest | undefined;
  /** Where it was looked for. */
  readonly file: string;
}

/**
 * Hashes every recorded output again, one at a time (files may be large).
 *
 * @param codespace - where to look for the files instead of each record's `codespace` (a
 *   codespace that was moved); default: the recorded one.
 * @throws the `fs` errors of reading a file other than its absence (`EACCES`).
 */
export async function checkOutputs(records: readonly OutputRecord[], codespace?: string): Promise<CheckedOutput[]> {
  const checked: CheckedOutput[] = [];
  for (const record of records) {
    const file = join(codespace ?? record.codespace, record.path);
    const now = await digestFile(file);
    const state =
      now === undefined ? 'missing' : now.sha256 === record.sha256 && now.bytes === record.bytes ? 'same' : 'changed';
    checked.push({ record, state, now, file });
  }
  return checked;
}
