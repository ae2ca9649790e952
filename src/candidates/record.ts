/**
 * The record of a step's candidates (`candidates: N`): `artifacts/step-N-candidates.json`,
 * written whole (temporary file and rename) by the engine at each change of a round (a
 * candidate started or ended, the pick), read by `workflow candidates`, `workflow report`
 * and by an engine taking over from a dead one.
 *
 * File format (JSON, one object):
 * ```json
 * {
 *   "version": 1, "step": 3, "runId": "r-…", "round": 1, "judge": "first",
 *   "base": "<commit every candidate's worktree was made from>",
 *   "candidates": [
 *     { "k": 1, "model": "opus", "status": "eligible", "verify": "passed",
 *       "filesChanged": 2, "added": 10, "removed": 3, "durationMs": 5120,
 *       "ref": "refs/planspace/r-…/step-3/candidate-1", "summary": "…", "reason": null }
 *   ],
 *   "picked": 1, "pickReason": "the first eligible candidate", "merged": true
 * }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';

/**
 * Where a candidate is: `running` (its agent or its verification runs), `eligible` (its agent
 * succeeded and every `verify:` passed), `failed` (it did not: see `reason`), `stopped`
 * (stopped unfinished: it lost a `judge: first` race, or the run was aborted).
 */
export type CandidateStatus = 'running' | 'eligible' | 'failed' | 'stopped';

/** One candidate of a round, as recorded. */
export interface CandidateEntry {
  /** 1-based candidate number: `WORKFLOW_CANDIDATE`. */
  readonly k: number;
  /** The model it ran with: the step's k-th model, cycling. */
  readonly model: string;
  readonly status: CandidateStatus;
  /** Its `verify:` commands: `passed`, `failed`, `none` (the step has none); null until run. */
  readonly verify: 'passed' | 'failed' | 'none' | null;
  /** Its diff against the round's base (null until it has ended, and for a stopped one). */
  readonly filesChanged: number | null;
  /** Lines added and removed by its diff. */
  readonly added: number | null;
  readonly removed: number | null;
  /** From its dispatch to its end (agent and verification), in ms; null while it runs. */
  readonly durationMs: number | null;
  /** The git ref holding its commit (`refs/planspace/<run-id>/step-N/candidate-k`), once kept. */
  readonly ref: string | null;
  /** Its agent's last `done:` summary. */
  readonly summary: string | null;
  /** Why it failed or was stopped; null otherwise. */
  readonly reason: string | null;
}

/** One round of a step's candidates (a retry runs a new round). */
export interface CandidatesRecord {
  readonly version: 1;
  readonly step: number;
  /** The run id of the run (`runBase`) that ran this round. */
  readonly runId: string;
  /** 1 for the first round of the step in this run, 2 for its first retry, ... */
  readonly round: number;
  /** `first`, `smallest`, or the judge agent's model name. */
  readonly judge: string;
  /** The commit every candidate's worktree was made from. */
  readonly base: string;
  readonly candidates: readonly CandidateEntry[];
  /** The picked candidate's k; null before the pick and when none was picked. */
  readonly picked: number | null;
  /** Why: the judge's reason, or the rule's (`the first eligible candidate`, ...). */
  readonly pickReason: string | null;
  /** Whether the picked candidate's work is merged into the integration branch. */
  readonly merged: boolean;
}

/** `artifacts/step-N-candidates.json`. */
export function candidatesRecordPath(artifacts: string, step: number): string {
  return join(artifacts, `step-${step}-candidates.json`);
}

/**
 * Writes a round's record whole (temporary file and rename).
 *
 * @throws the `fs` error of the write.
 */
export function writeCandidatesRecord(artifacts: string, record: CandidatesRecord): Promise<void> {
  return writeFileAtomic(candidatesRecordPath(artifacts, record.step), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * Reads a step's record.
 *
 * @returns the record, or undefined when the step has none (it never ran candidates).
 * @throws {SyntaxError} for a file that is not JSON; the `fs` error for anything but a missing file.
 */
export async function readCandidatesRecord(artifacts: string, step: number): Promise<CandidatesRecord | undefined> {
  let text: string;
  try {
    text = await readFile(candidatesRecordPath(artifacts, step), 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  return JSON.parse(text) as CandidatesRecord;
}
