/**
 * One line on where a step's candidates stand, for `workflow report` and under the
 * `workflow candidates` table: `picked 2/4 (codex)`, `no candidate picked`, or, while the
 * round runs, `no candidate picked yet (3 running)`. Pure.
 */
import type { CandidatesRecord } from './record.js';

/** How many of a round's candidates still run (agent or verification). */
export function runningCount(record: CandidatesRecord): number {
  return record.candidates.filter((entry) => entry.status === 'running').length;
}

/**
 * The pick of a round in a few words.
 *
 * @returns `picked k/N (model)`; `no candidate picked yet (R running)` while candidates run
 *   and none is picked; else `no candidate picked`.
 */
export function pickSummary(record: CandidatesRecord): string {
  const count = record.candidates.length;
  if (record.picked !== null) {
    const model = record.candidates.find((entry) => entry.k === record.picked)?.model;
    return `picked ${record.picked}/${count}${model === undefined ? '' : ` (${model})`}`;
  }
  const running = runningCount(record);
  return running > 0 ? `no candidate picked yet (${running} running)` : 'no candidate picked';
}
