/**
 * The judge agent (`judge: <model>`): picks one of a round's candidates from their diffs.
 */
// Replaced by the cand-judge branch at merge.
import type { EngineContext } from '../engine/context.js';
import type { Step } from '../schedule/step.js';

/** One candidate as the judge is shown it. */
export interface JudgeCandidate {
  readonly k: number;
  readonly model: string;
  readonly eligible: boolean;
  readonly reason: string | null;
  readonly verify: 'passed' | 'failed' | 'none' | null;
  readonly durationMs: number | null;
  readonly summary: string | null;
  readonly diffStat: string;
  readonly diff: string;
}

/** What the judge is given. */
export interface JudgeInput {
  /** The step's rendered prompt text, as candidate 1 got it. */
  readonly task: string;
  readonly candidates: readonly JudgeCandidate[];
  /** The most bytes of diffs shown, in all. Default 200 KB. */
  readonly budgetBytes?: number;
}

/** The judge's answer. */
export interface Pick {
  readonly pick: number | 'none';
  readonly reason: string;
}

/**
 * Runs the judge agent (judge.md) with `model` for step `step`; a failing judge, garbage, or a
 * non-eligible k all come back as pick 'none' with the reason.
 */
// eslint-disable-next-line @typescript-eslint/require-await, @typescript-eslint/no-unused-vars -- the stand-in ignores what the real one uses.
export async function runJudge(_ctx: EngineContext, _step: Step, _model: string, _input: JudgeInput): Promise<Pick> {
  return { pick: 'none', reason: 'no judge agent in this build' };
}
