/**
 * What prompts say of outputs: the "Inputs" section of a step whose needs recorded outputs, and
 * the "Missing outputs" section of an attempt after one whose outputs were missing. Pure.
 */
import { join } from 'node:path';
import type { OutputRecord } from './record.js';

/** The outputs a need of the step recorded. */
export interface NeedOutputs {
  readonly step: number;
  readonly records: readonly OutputRecord[];
  /** Why the need's record could not be read, when it could not. */
  readonly unreadable?: string;
}

/**
 * The "Inputs" section: every file the step's needs recorded as outputs, with its absolute path
 * in the codespace, its size and SHA-256. '' when the needs recorded none.
 *
 * @param codespace - the run's codespace, absolute.
 * @param workdir - the agent's working folder; when it is a worktree (isolation), the section
 *   says the same files are at the same relative paths there.
 */
export function inputsSection(needs: readonly NeedOutputs[], codespace: string, workdir: string): string {
  const lines: string[] = [];
  for (const { step, records, unreadable } of needs) {
    if (unreadable !== undefined) lines.push(`- (the outputs step ${step} recorded cannot be read: ${unreadable})`);
    for (const record of records) {
      // Where it was recorded: a later run may be given another codespace.
      const path = join(record.codespace, record.path);
      lines.push(`- \`${path}\` (from step ${step}, ${record.bytes} bytes, sha256 ${record.sha256})`);
    }
  }
  if (lines.length === 0) return '';
  const worktree =
    workdir === codespace
      ? ''
      : `\nYour working tree \`${workdir}\` holds the same files at the same paths relative to it.\n`;
  return (
    '\n## Inputs\n\n' +
    'The steps this one needs produced these files (their `outputs:`), recorded with their size ' +
    'and SHA-256 when each step succeeded. Read them from these paths; `sha256sum` tells whether ' +
    'one is still as recorded.\n\n' +
    `${lines.join('\n')}\n` +
    worktree
  );
}

/** The failure reason of an attempt whose outputs were missing: `missing outputs: a, b`. */
export function missingOutputsReason(missing: readonly string[]): string {
  return `missing outputs: ${missing.join(', ')}`;
}

/**
 * The "Missing outputs" section for the attempt after one whose declared outputs were missing:
 * which, and that this attempt must produce them. '' for none.
 */
export function missingOutputsSection(missing: readonly string[] | undefined): string {
  if (missing === undefined || missing.length === 0) return '';
  const list = missing.map((pattern) => `- \`${pattern}\``).join('\n');
  return (
    '\n## Missing outputs in the previous attempt\n\n' +
    "The previous attempt's agent ended with success, but these declared outputs (`outputs:`) " +
    'were not in its working tree (a path that did not exist, or a glob that matched no file), ' +
    'so that attempt failed:\n\n' +
    `${list}\n\n` +
    'This attempt succeeds only if each of them is there, relative to your working directory, ' +
    'when you finish.\n'
  );
}
