/**
 * The planner's prompt (`workflow run --goal`): the planner agent file's body, then
 * `templates/planner-prompt.md` with the goal, the schedule step by step with each step's
 * status, the exact `workflow add` command line for this planspace, and `state.md`.
 */
import { effectiveNeeds } from '../schedule/checks.js';
import type { Step } from '../schedule/step.js';
import { packageTemplate, renderTemplate, shellQuote, tailBlock } from './render.js';

/** What a planner prompt is made of. */
export interface PlannerPromptValues {
  /** The user's `--goal` text. */
  readonly goal: string;
  /** Absolute planspace and codespace paths, and the schedule file. */
  readonly planspace: string;
  readonly codespace: string;
  readonly scheduleFile: string;
  /** The schedule's steps, in file order. */
  readonly steps: readonly Step[];
  /** The current `state.md` ('' if there is none). */
  readonly state: string;
  /** The planner agent file's body, put before the rest. */
  readonly agentBody: string;
}

/**
 * The `workflow add` command line an agent runs to add a step to `planspace`, quoted for a
 * POSIX shell, with the step text and the options as placeholders.
 */
export function addCommandLine(planspace: string): string {
  return `workflow add ${shellQuote(planspace)} "<name> | <models> -- <description>" [--after N] [--needs 1,3]`;
}

/**
 * One step as the planner sees it: `3. [wait] build` on the first line, then its models and
 * needs (`none`, or with `(the step before it)` for a default need), then its description; each
 * line indented so that no description can pose as another step.
 */
export function describeStep(steps: readonly Step[], index: number): string {
  const step = steps[index];
  if (!step) return '';
  const needs = effectiveNeeds(steps, index);
  const needsText =
    needs.length === 0
      ? 'none'
      : `${needs.join(', ')}${step.attributes.needs === undefined ? ' (the step before it)' : ''}`;
  const ref = step.ref === undefined ? '' : ` · ref: ${step.ref}`;
  const description = step.description.trim() === '' ? '(no description)' : step.description.trim();
  return [
    `    ${step.number}. [${step.status}] ${step.name}`,
    `       models: ${step.models.join(', ')} · needs: ${needsText}${ref}`,
    `       ${description}`,
  ].join('\n');
}

/**
 * Renders the planner prompt (see the file comment).
 *
 * @throws {TemplateError} if the template names a placeholder this function does not fill.
 */
export async function renderPlannerPrompt(values: PlannerPromptValues): Promise<string> {
  const template = await packageTemplate('planner-prompt.md');
  const steps =
    values.steps.length === 0
      ? '    (no steps)'
      : values.steps.map((_, index) => describeStep(values.steps, index)).join('\n\n');
  const details = renderTemplate(
    template,
    {
      goal: values.goal.trim(),
      planspace: values.planspace,
      codespace: values.codespace,
      schedule_file: values.scheduleFile,
      steps,
      add_command: addCommandLine(values.planspace),
      state: tailBlock(values.state, 200),
    },
    'templates/planner-prompt.md',
  );
  return `${values.agentBody.trim()}\n\n${details}`;
}
