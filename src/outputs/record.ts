/**
 * `artifacts/step-N-outputs.json`: what step N produced the last time it succeeded with
 * `outputs:`, one entry per file, written atomically by the engine after the attempt succeeded
 * (after `verify:`, and under isolation after its work was merged into the codespace).
 *
 * ```json
 * [
 *   {
 *     "path": "dist/app.js",
 *     "bytes": 1234,
 *     "sha256": "(64 hex digits)",
 *     "step": 2,
 *     "attempt": 1,
 *     "runId": "r-mwr7hpe6-2-1",
 *     "codespace": "/home/me/project"
 *   }
 * ]
 * ```
 *
 * `path` is relative to the codespace (which under isolation is also the path in the unit's
 * worktree), with `/` separators; `attempt` is K of the attempt's artifact files
 * (`step-N-attempt-K-*.md`); `codespace` is the absolute codespace of the run, where
 * `workflow artifacts --verify` finds the files again.
 */
import { join } from 'node:path';
import { isErrno, PlanspaceError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readRegularFile } from '../fs/regular-file.js';

/** One recorded output file (see the module comment). */
export interface OutputRecord {
  /** Relative to the codespace, `/` separators. */
  readonly path: string;
  /** Size in bytes. */
  readonly bytes: number;
  /** SHA-256 of the content, 64 lowercase hex digits. */
  readonly sha256: string;
  readonly step: number;
  /** K of the attempt's artifact files, counted over the planspace's life. */
  readonly attempt: number;
  /** The run id of the dispatch that produced it. */
  readonly runId: string;
  /** The absolute codespace the path is relative to. */
  readonly codespace: string;
}

/** An outputs file could not be understood: it names the file and what is wrong. Exit 2. */
export class OutputsFileError extends PlanspaceError {
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super('E_OUTPUTS', `${path}: ${reason}`, options);
  }
}

/** `<artifacts>/step-N-outputs.json`. */
export function outputsFile(artifacts: string, step: number): string {
  return join(artifacts, `step-${step}-outputs.json`);
}

/** The step number of an outputs file's name (`step-12-outputs.json`), or undefined. */
export function outputsFileStep(name: string): number | undefined {
  const match = /^step-([1-9]\d*)-outputs\.json$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Writes step `step`'s outputs file atomically (temporary file, then rename).
 *
 * @throws the `fs` error naming the file (`ENOSPC`, `EROFS`); the old file is then as it was.
 */
export async function writeOutputRecords(
  artifacts: string,
  step: number,
  records: readonly OutputRecord[],
): Promise<void> {
  await writeFileAtomic(outputsFile(artifacts, step), `${JSON.stringify(records, null, 2)}\n`);
}

/** Checks one parsed entry against `OutputRecord`; the reason it is not one, or undefined. */
function entryProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return 'an entry that is not an object';
  const { path, bytes, sha256, step, attempt, runId, codespace } = entry as Record<string, unknown>;
  if (typeof path !== 'string' || path === '' || path.startsWith('/') || path.split('/').includes('..')) {
    return `a path that is not relative to the codespace: ${JSON.stringify(path)}`;
  }
  if (!Number.isSafeInteger(bytes) || (bytes as number) < 0) return `bad bytes for ${path}`;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return `bad sha256 for ${path}`;
  if (!Number.isSafeInteger(step) || !Number.isSafeInteger(attempt)) return `bad step or attempt for ${path}`;
  if (typeof runId !== 'string' || typeof codespace !== 'string' || !codespace.startsWith('/')) {
    return `bad runId or codespace for ${path}`;
  }
  return undefined;
}

/**
 * Reads step `step`'s outputs file.
 *
 * @returns its entries, or undefined when the step has none recorded (no file).
 * @throws {OutputsFileError} when the file is not a JSON list of entries as above.
 * @throws {NotRegularFileError} if it is a FIFO, socket, device or folder; other `fs` errors.
 */
export async function readOutputRecords(artifacts: string, step: number): Promise<OutputRecord[] | undefined> {
  const file = outputsFile(artifacts, step);
  let text: string;
  try {
    text = (await readRegularFile(file)).toString('utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OutputsFileError(file, 'not JSON', { cause: error });
  }
  if (!Array.isArray(parsed)) throw new OutputsFileError(file, 'expected a JSON list of outputs');
  for (const entry of parsed) {
    const problem = entryProblem(entry);
    if (problem !== undefined)
      throw new OutputsFileError(file, `expected outputs as written by the engine, found ${problem}`);
  }
  return parsed as OutputRecord[];
}
