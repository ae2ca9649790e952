/**
 * Which models a `candidates:` step runs: candidate k gets the step's k-th model, cycling
 * (`| opus,codex,glm --` with `candidates: 4` gives opus, codex, glm, opus), and a judge that
 * is neither `first` nor `smallest` is a judge agent with that model. Pure.
 */
import type { Step } from '../schedule/step.js';

/** The judges that are rules, not agents. */
export const RULE_JUDGES = ['first', 'smallest'] as const;

/** `judge:` when the step does not say. */
export const DEFAULT_JUDGE = 'first';

/**
 * The model of each candidate of `step`, candidate 1 first.
 *
 * @returns one model per candidate (`candidates:` of them); for a step without `candidates:`,
 *   its one agent's model, the first (the others are only passed on to it).
 */
export function candidateModels(step: Step): string[] {
  const count = step.attributes.candidates;
  if (count === undefined) return [step.models[0] ?? ''];
  return Array.from({ length: count }, (_, index) => step.models[index % step.models.length] ?? '');
}

/** The step's judge: its `judge:`, else `first`. */
export function stepJudge(step: Step): string {
  return step.attributes.judge ?? DEFAULT_JUDGE;
}

/**
 * The judge agent's model of a `candidates:` step, or undefined when the step has no
 * candidates or its judge is a rule (`first`, `smallest`).
 */
export function judgeModel(step: Step): string | undefined {
  if (step.attributes.candidates === undefined) return undefined;
  const judge = stepJudge(step);
  return (RULE_JUDGES as readonly string[]).includes(judge) ? undefined : judge;
}
