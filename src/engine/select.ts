/** `workflow run --only` and `--from`: which steps of the schedule a run may take. */
import { UsageError } from '../errors.js';
import type { Step } from '../schedule/step.js';

/** The step numbers `--only` gives, and the step `--from` starts at. */
export interface StepSelection {
  readonly only?: readonly number[];
  readonly from?: number;
}

/**
 * The steps `only` and `from` select, or undefined for every step.
 *
 * @throws {UsageError} for a step number the schedule lacks.
 */
export function selectSteps(
  steps: readonly Step[],
  options: StepSelection,
  file: string,
): ReadonlySet<number> | undefined {
  const { only, from } = options;
  const missing = [...(only ?? []), ...(from === undefined ? [] : [from])].filter(
    (n) => !steps.some((step) => step.number === n),
  );
  if (missing.length > 0) throw new UsageError(`no step ${missing.join(', ')} in ${file}`);
  if (only === undefined && from === undefined) return undefined;
  const start = from === undefined ? 0 : steps.findIndex((step) => step.number === from);
  return new Set(
    steps.slice(start).flatMap((step) => (only === undefined || only.includes(step.number) ? [step.number] : [])),
  );
}
