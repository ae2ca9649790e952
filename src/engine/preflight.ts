/**
 * Checks made before any agent starts: every remaining step's ref resolves, its model has a
 * registry entry whose command can be started, and the exception handler's agent file and
 * model exist. All problems are reported at once.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isErrno, PlanspaceError } from '../errors.js';
import { findAgentFile, PACKAGE_AGENTS, type AgentFile } from '../dispatch/agent-file.js';
import { agentPath } from '../dispatch/command.js';
import { locateCommand } from '../dispatch/locate.js';
import { AGENT_COMMANDS } from '../dispatch/shims.js';
import { findModel, modelSearchPath, type ModelSpec } from '../dispatch/models.js';
import { readSkillSection } from '../prompt/skill.js';
import { candidateModels, judgeModel } from '../candidates/step-models.js';
import type { Schedule } from '../schedule/step.js';

/** Where the engine finds skills, models and agent files. */
export interface Sources {
  /** The codespace: agents' working directory; its `.agents/models` is searched for models. */
  readonly codespace: string;
  /** The skills folder that refs point into. Required when a remaining step has a ref. */
  readonly skills?: string;
  /** A folder searched first for `<model>.toml`. */
  readonly models?: string;
  /** A folder searched first for agent files, before the package's `agents/`. */
  readonly agents?: string;
}

/** `sources` with every folder absolute (against the current folder): agents run elsewhere. */
export function absoluteSources(sources: Sources): Sources {
  const absolute = (folder: string | undefined): string | undefined =>
    folder === undefined ? undefined : resolve(folder);
  return {
    codespace: resolve(sources.codespace),
    skills: absolute(sources.skills),
    models: absolute(sources.models),
    agents: absolute(sources.agents),
  };
}

/**
 * What preflight found: the model of every remaining step (for a `candidates:` step, every
 * candidate's model and a judge agent's model) and the exception handler.
 */
export interface Resolved {
  readonly models: ReadonlyMap<string, ModelSpec>;
  readonly handler: AgentFile;
  readonly handlerModel: ModelSpec;
}

/** One or more problems that stop a run before it starts. */
export class PreflightError extends PlanspaceError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('E_PREFLIGHT', problems.join('\n'));
    this.problems = problems;
  }
}

/** The folders searched for agent files, in order. */
export function agentSearchPath(sources: Sources): string[] {
  return [...(sources.agents === undefined ? [] : [sources.agents]), PACKAGE_AGENTS];
}

/**
 * Checks every step that is not yet done or skipped, and the exception handler. A
 * `candidates:` step's models are those of its candidates (each of its models, as the
 * candidates cycle through them) and its judge's, when `judge:` names a model.
 *
 * @throws {PreflightError} listing every unresolvable ref, unknown model, model whose
 *   `command` is not on the agents' `PATH` or is not an executable file (once per model:
 *   `schedule.md:3: step 1: <model file>: command 'x' not found on PATH`; an unknown judge model
 *   as `schedule.md:3: step 1: judge: unknown model 'x' ...`), and missing or
 *   malformed agent file.
 */
export async function preflight(schedule: Schedule, sources: Sources): Promise<Resolved> {
  const problems: string[] = [];
  if (!(await isFolder(sources.codespace))) problems.push(`codespace: no folder at ${sources.codespace}`);
  const searchPath = modelSearchPath({ models: sources.models, codespace: sources.codespace });
  const models = new Map<string, ModelSpec>();
  const remember = async (name: string, where: string): Promise<ModelSpec | undefined> => {
    const known = models.get(name);
    if (known) return known;
    try {
      const spec = await findModel(name, searchPath);
      models.set(name, spec);
      // The agent would fail to start at dispatch, after earlier steps ran: say so now.
      const path = spec.env.PATH ?? agentPath(AGENT_COMMANDS, process.env.PATH);
      const lookup = await locateCommand(spec.command, { cwd: sources.codespace, path });
      if (!lookup.found) problems.push(`${where}: ${spec.file}: command '${spec.command}' ${lookup.reason}`);
      return spec;
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
      return undefined;
    }
  };
  // A mistyped --skills would otherwise show as one 'no file' per ref, or not at all.
  const skillsMissing = sources.skills !== undefined && !(await isFolder(sources.skills));
  if (skillsMissing) problems.push(`skills: ${sources.skills ?? ''} (--skills) does not exist or is not a folder`);
  for (const step of schedule.steps) {
    if (step.status === 'done' || step.status === 'skip') continue;
    const where = `${schedule.file}:${step.line}: step ${step.number}`;
    await remember(step.models[0] ?? '', where);
    for (const model of candidateModels(step).slice(1)) await remember(model, `${where}: candidate model`);
    const judge = judgeModel(step);
    if (judge !== undefined) await remember(judge, `${where}: judge`);
    if (step.ref === undefined || skillsMissing) continue;
    if (sources.skills === undefined) {
      problems.push(`${where}: ref '${step.ref}' needs a skills folder (--skills DIR)`);
      continue;
    }
    try {
      await readSkillSection(sources.skills, step.ref);
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
  }
  let handler: AgentFile | undefined;
  let handlerModel: ModelSpec | undefined;
  // The package's own handler is the fallback for a folder without one, but a folder that is not
  // there at all is a mistyped --agents: running on the fallback would hide that.
  if (sources.agents !== undefined && !(await isFolder(sources.agents))) {
    problems.push(`exception handler: no agents folder at ${sources.agents}, so no exception-handler.md there`);
  } else {
    try {
      handler = await findAgentFile('exception-handler', agentSearchPath(sources));
      handlerModel = await remember(handler.model, `exception handler (${handler.file})`);
    } catch (error) {
      problems.push(`exception handler: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0 || !handler || !handlerModel) throw new PreflightError(problems);
  return { models, handler, handlerModel };
}

/** True when `path` is a folder; false when nothing (or a file) is there. */
async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return false;
    throw error;
  }
}
