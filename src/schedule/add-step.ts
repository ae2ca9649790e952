/**
 * `workflow add` on a planspace: one locked read-change-write of `schedule.md` (see
 * `add.ts` for the change), with the per-run record of the loop guard.
 *
 * The record, `<planspace>/added.json`, counts the steps each step's agent added in one run:
 *
 * ```json
 * {"run":"rmx1k2a","added":{"3":[8,9,10]}}
 * ```
 *
 * `run` is the engine's run (the part of `WORKFLOW_RUN_ID` before its first `-`); a record of
 * another run is replaced, so each run starts counting from zero (one engine runs a planspace
 * at a time). It is written under the schedule's lock, atomically, before the schedule: an add
 * killed between the two writes counts one step that is not there, never the reverse.
 */
import { AddLimitError, isErrno, PlanspaceError } from '../errors.js';
import { writeFileAtomicSync } from '../fs/atomic.js';
import { readRegularFileSync } from '../fs/regular-file.js';
import { planspacePaths } from '../planspace/paths.js';
import { addStepToText, type AddRequest } from './add.js';
import { changeScheduleText } from './file.js';
import type { Step } from './step.js';

/** The loop guard's per-run count: who adds, in which run, and how many it may add in it. */
export interface AddedByRun {
  /** The run (`r...`), from `WORKFLOW_RUN_ID`. */
  readonly run: string;
  /** The adding step (`WORKFLOW_STEP`). */
  readonly step: number;
  /** The most steps `step` may add in `run`. */
  readonly maxAdded: number;
}

/** `added.json`: the steps each step added in run `run`, by adding step. */
interface AddedRecord {
  readonly run: string;
  readonly added: Readonly<Record<string, readonly number[]>>;
}

/** The run of a run id: `rmx1k2a` of `rmx1k2a-3-7` (the engine's ids: `<run>-<step>-<dispatch>`). */
export function runOfRunId(runId: string): string {
  return runId.split('-')[0] ?? runId;
}

/** What `addStep` did. */
export interface AddStepOutcome {
  /** The new step, as parsed from the written schedule. */
  readonly step: Step;
  /**
   * When the step went at the end of the file (every byte before it kept): the file's version
   * before and after (`fileVersion`), for the engine to read the new bytes alone
   * (`ScheduleCache.noteAppend`). Undefined when it went elsewhere (`--after`).
   */
  readonly appended?: { readonly before: string; readonly after: string };
}

/**
 * Adds a step to a planspace's schedule under its lock (see `addStepToText`), counting it for
 * the loop guard when `counted` is given.
 *
 * @param planspace - the planspace folder.
 * @param request - what to add; `maxSteps` refuses a full schedule.
 * @param counted - the adding step and its run: refused when it already added `maxAdded` in the run.
 * @throws {AddLimitError} from the loop guard; nothing written.
 * @throws {UsageError} / {ScheduleSyntaxError} for a bad step (see `addStepToText`); nothing written.
 * @throws {ScheduleNotFoundError} / {LockError}, or an `fs` error of `added.json`; nothing written.
 */
export async function addStep(planspace: string, request: AddRequest, counted?: AddedByRun): Promise<AddStepOutcome> {
  const paths = planspacePaths(planspace);
  const { result, written } = await changeScheduleText(paths.schedule, (before) => {
    const { text, step } = addStepToText(before, paths.schedule, request);
    if (counted !== undefined) {
      const record = readRecord(paths.added);
      const added = record?.run === counted.run ? record.added : {};
      const mine = added[String(counted.step)] ?? [];
      if (mine.length >= counted.maxAdded) {
        throw new AddLimitError(
          'max-added',
          `refused to add a step: step ${counted.step} already added ${mine.length} steps in run ${counted.run} ` +
            `(--max-added ${counted.maxAdded}): ${mine.join(', ')}`,
        );
      }
      const next: AddedRecord = {
        run: counted.run,
        added: { ...added, [String(counted.step)]: [...mine, step.number] },
      };
      writeFileAtomicSync(paths.added, `${JSON.stringify(next)}\n`);
    }
    return { text, result: { step, atEnd: text.startsWith(before) } };
  });
  return { step: result.step, ...(result.atEnd && written !== undefined && { appended: written }) };
}

/**
 * Reads `added.json`; undefined when there is none.
 *
 * @throws {PlanspaceError} `E_ADDED_INVALID` when it is not a record (so a hand-edited record
 *   cannot lift the guard silently).
 */
function readRecord(path: string): AddedRecord | undefined {
  let text: string;
  try {
    text = readRegularFileSync(path).toString('utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PlanspaceError('E_ADDED_INVALID', `${path}: not JSON: ${(error as Error).message}`, { cause: error });
  }
  const record = value as { run?: unknown; added?: unknown } | null;
  const added = record?.added;
  const valid =
    typeof record?.run === 'string' &&
    typeof added === 'object' &&
    added !== null &&
    Object.values(added).every((list) => Array.isArray(list) && list.every((n) => Number.isSafeInteger(n)));
  if (!valid) throw new PlanspaceError('E_ADDED_INVALID', `${path}: not an added-steps record ({"run", "added"})`);
  return record as AddedRecord;
}
