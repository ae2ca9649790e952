import type { Step } from '../schedule/step.js';

/** The JSON form of a step in every verb's `--json` output. */
export interface StepJson {
  /** 1-based line number in the schedule (or in the argument, for `parse`). */
  readonly line: number;
  readonly status: Step['status'];
  readonly number: number;
  readonly name: string;
  /** The step's agent: the first model. */
  readonly model: string;
  readonly models: readonly string[];
  readonly description: string;
  /** The ref without parentheses, or null when the step has none. */
  readonly ref: string | null;
  /** Attributes as parsed; durations in ms (`timeoutMs`, `stallMs`, `backoffMs`). */
  readonly attributes: Step['attributes'];
  /** The step line exactly as written. */
  readonly text: string;
}

/** Converts a step to its JSON form. */
export function stepToJson(step: Step): StepJson {
  return {
    line: step.line,
    status: step.status,
    number: step.number,
    name: step.name,
    model: step.models[0] ?? '',
    models: step.models,
    description: step.description,
    ref: step.ref ?? null,
    attributes: step.attributes,
    text: step.text,
  };
}
