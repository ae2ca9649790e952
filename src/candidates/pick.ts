/**
 * The rule judges (`judge: first`, `judge: smallest`) as pure functions of a round's
 * candidates; the judge agent (`judge: <model>`) is `judge.ts`.
 */
import type { CandidateEntry } from './record.js';
import type { Pick } from './judge.js';

/** `first` and `smallest` are rules; any other judge is a model name. */
export type JudgeRule = 'first' | 'smallest';

/** True for `first` and `smallest`, the judges that are rules rather than a model. */
export function isJudgeRule(judge: string): judge is JudgeRule {
  return judge === 'first' || judge === 'smallest';
}

/** The reason recorded for a rule's pick. */
export const RULE_REASONS: Readonly<Record<JudgeRule, string>> = {
  first: 'the first eligible candidate',
  smallest: 'the eligible candidate with the smallest diff',
};

/**
 * `judge: smallest`: the eligible candidate with the fewest lines added and removed; ties go to
 * the lower k. A candidate whose diff size is unknown is never picked.
 *
 * @returns its k, or `none` when no candidate is eligible.
 */
export function pickSmallest(candidates: readonly CandidateEntry[]): Pick {
  let best: CandidateEntry | undefined;
  let bestSize = Number.POSITIVE_INFINITY;
  for (const entry of candidates) {
    if (entry.status !== 'eligible' || entry.added === null || entry.removed === null) continue;
    const size = entry.added + entry.removed;
    if (size < bestSize || (size === bestSize && best !== undefined && entry.k < best.k)) {
      best = entry;
      bestSize = size;
    }
  }
  if (best === undefined) return { pick: 'none', reason: 'no candidate was eligible' };
  return { pick: best.k, reason: `${RULE_REASONS.smallest} (${bestSize} lines)` };
}

/**
 * Why a round picked nothing, for the step's failure: every candidate's reason, in k order,
 * `candidate 1 (opus): verify failed: ...; candidate 2 (codex): exit code 1`; then the judge's
 * reason when the judge, not eligibility, refused them all.
 */
export function roundFailure(candidates: readonly CandidateEntry[], judgeReason?: string): string {
  const each = [...candidates]
    .sort((a, b) => a.k - b.k)
    .map((entry) => `candidate ${entry.k} (${entry.model}): ${entry.reason ?? entry.status}`);
  return [...(judgeReason === undefined ? [] : [`the judge picked none: ${judgeReason}`]), ...each].join('; ');
}
