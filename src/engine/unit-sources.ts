/**
 * What a step needs before its agent can start: its model's registry entry and its ref's
 * skill section. Preflight checked the steps the schedule held at the start; a step added
 * while the run runs (by another process, or an agent) is checked here, when it is
 * dispatched, so that a model or ref that does not resolve fails that step with a reason
 * instead of ending the run.
 */
import { findModel, modelSearchPath, type ModelSpec } from '../dispatch/models.js';
import { PlanspaceError } from '../errors.js';
import { readSkillSection } from '../prompt/skill.js';
import type { Step } from '../schedule/step.js';
import type { EngineContext } from './context.js';

/** A step's model or ref does not resolve: the step fails without starting an agent. */
export class UnitSourceError extends PlanspaceError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_UNIT_SOURCE', message, options);
  }
}

/** A step's model and the text of its ref's skill section ('' without a ref). */
export interface UnitSources {
  readonly model: ModelSpec;
  readonly section: string;
}

/**
 * Resolves a step's model (`name`: its first, unless given; a candidate's is its own) and its
 * ref. A model preflight resolved is taken from
 * `ctx.resolved`; any other is read from the registry (`--models`, the codespace's
 * `.agents/models`, the user's config folder) each time, so that a file added after a
 * failure is found when the step is retried. Sections are read once per run (`ctx.sections`);
 * one that failed is read again next time.
 *
 * @throws {UnitSourceError} naming the problem: an unknown or malformed model, a
 *   ref that does not resolve, or a ref without a skills folder (`--skills`).
 */
export async function resolveUnitSources(
  ctx: EngineContext,
  step: Step,
  name: string = step.models[0] ?? '',
): Promise<UnitSources> {
  let model = ctx.resolved.models.get(name);
  try {
    model ??= await findModel(name, modelSearchPath({ models: ctx.sources.models, codespace: ctx.sources.codespace }));
  } catch (error) {
    if (!(error instanceof PlanspaceError)) throw error;
    throw new UnitSourceError(error.message, { cause: error });
  }
  return { model, section: await skillSection(ctx, step) };
}

/** The skill section a step's ref names, read once per run; '' without a ref. */
async function skillSection(ctx: EngineContext, step: Step): Promise<string> {
  const { ref } = step;
  if (ref === undefined) return '';
  const skills = ctx.sources.skills;
  if (skills === undefined) throw new UnitSourceError(`ref '${ref}' needs a skills folder (--skills DIR)`);
  let section = ctx.sections.get(ref);
  if (section === undefined) {
    section = readSkillSection(skills, ref);
    ctx.sections.set(ref, section);
  }
  try {
    return await section;
  } catch (error) {
    if (ctx.sections.get(ref) === section) ctx.sections.delete(ref);
    if (!(error instanceof PlanspaceError)) throw error;
    throw new UnitSourceError(error.message, { cause: error });
  }
}
