/**
 * A step's candidates record as `workflow candidates` shows it: the step looked up in the
 * schedule, its record read from `artifacts/step-N-candidates.json` and checked for the shape
 * of `CandidatesRecord`. Every refusal is a `CandidatesRecordError` naming the step or the file.
 */
import { PlanspaceError } from '../errors.js';
import { planspacePaths } from '../planspace/paths.js';
import { readSchedule } from '../schedule/operations.js';
import { candidatesRecordPath, readCandidatesRecord, type CandidatesRecord } from './record.js';

/**
 * A step has no candidates record to show: the schedule has no such step, the step runs no
 * candidates and never did, its candidates have not run yet, or its record is not one.
 * The CLI exits 2.
 */
export class CandidatesRecordError extends PlanspaceError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_CANDIDATES_RECORD', message, options);
  }
}

/**
 * Reads step `step`'s candidates record (the latest round) from the planspace.
 *
 * @param planspace - the planspace folder (holding `schedule.md`).
 * @param step - the step number.
 * @returns the record as the engine wrote it.
 * @throws {CandidatesRecordError} for a step the schedule lacks; for a step without a record
 *   (saying whether it is a `candidates:` step at all, and naming the file looked for); for a
 *   record that is not JSON or lacks the fields of `CandidatesRecord`.
 * @throws {ScheduleNotFoundError} / {ScheduleSyntaxError} for a missing or bad schedule.
 */
export async function loadCandidatesRecord(planspace: string, step: number): Promise<CandidatesRecord> {
  const schedule = await readSchedule(planspace);
  const found = schedule.steps.find((each) => each.number === step);
  if (found === undefined) throw new CandidatesRecordError(`${schedule.file}: no step ${step}`);
  const paths = planspacePaths(planspace);
  // Named as the user gave the planspace: `./plan/artifacts/step-3-candidates.json`.
  const shown = candidatesRecordPath(paths.artifacts, step);
  let record: CandidatesRecord | undefined;
  try {
    record = await readCandidatesRecord(paths.artifacts, step);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new CandidatesRecordError(`${shown} is not a candidates record: ${error.message}`, { cause: error });
  }
  if (record === undefined) {
    throw new CandidatesRecordError(
      found.attributes.candidates === undefined
        ? `step ${step} is not a candidates step (no 'candidates:' under it in ${schedule.file}) and has no record ${shown}`
        : `step ${step} has not run its candidates yet: no ${shown}`,
    );
  }
  const problem = shapeProblem(record);
  if (problem !== undefined) throw new CandidatesRecordError(`${shown} is not a candidates record: ${problem}`);
  return record;
}

/** What is wrong with a parsed record's shape, or undefined: the fields the table reads. */
function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Partial<Record<keyof CandidatesRecord, unknown>>;
  if (!Array.isArray(record.candidates)) return "no 'candidates' list";
  for (const entry of record.candidates as unknown[]) {
    if (typeof entry !== 'object' || entry === null) return "a 'candidates' entry that is not an object";
    const { k, model, status } = entry as Record<string, unknown>;
    if (typeof k !== 'number' || typeof model !== 'string' || typeof status !== 'string') {
      return "a 'candidates' entry without a number 'k', a 'model' and a 'status'";
    }
  }
  if (record.picked !== null && typeof record.picked !== 'number') return "'picked' neither a number nor null";
  return undefined;
}
