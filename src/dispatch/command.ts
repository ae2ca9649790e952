/**
 * Building the command that starts an agent: pure functions of the model, the prompt and
 * the environment.
 */
import { delimiter, dirname } from 'node:path';
import { packagePath } from '../package-root.js';
import type { ModelSpec } from './models.js';
import { fillPlaceholders, type PlaceholderValues } from './placeholders.js';

/** A program to start without a shell: file, arguments, standard input and environment. */
export interface AgentCommand {
  readonly file: string;
  readonly args: readonly string[];
  /**
   * The file opened as the agent's standard input (the prompt file, read from its start);
   * undefined: no standard input.
   */
  readonly inputFile: string | undefined;
  readonly env: Readonly<Record<string, string>>;
}

/** The package's `bin/` folder, holding `workflow.js` and `mailbox.js`. */
export const PACKAGE_BIN = packagePath('bin');

/** What a dispatched agent is told through its environment (DESIGN.md §5.3). */
export interface DispatchContext {
  /** Absolute planspace and codespace paths. */
  readonly planspace: string;
  readonly codespace: string;
  /** The step number. */
  readonly step: number;
  readonly runId: string;
  /** The agent's mailbox name. */
  readonly agent: string;
  /** Every model of the step, first one first. */
  readonly models: readonly string[];
  /** Parallel block name, if the step runs blocks. */
  readonly block?: string;
  /** The candidate number k, if the step runs candidates (`candidates: N`). */
  readonly candidate?: number;
}

/**
 * What every agent of a run inherits before its dispatch's own variables: `base` without its
 * unset variables, `WORKFLOW_NODE` (the `node` its `workflow` and `mailbox` commands run with),
 * and a `PATH` that starts with `commands` (`AGENT_COMMANDS`: `workflow` and `mailbox`, the
 * same CLI the user runs), the package's `bin/` and the folder of the running `node`. The
 * engine builds it once per run: built again for each of 64 agents starting at once, it cost
 * several ms before the last of them.
 */
export function agentBaseEnvironment(
  commands: string,
  base: NodeJS.ProcessEnv = process.env,
  nodePath: string = process.execPath,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  env.PATH = agentPath(commands, base.PATH, nodePath);
  env.WORKFLOW_NODE = nodePath;
  return env;
}

/**
 * The environment of one dispatch: `base` (see `agentBaseEnvironment`) with the `WORKFLOW_*`
 * variables of `context` (DESIGN.md §5.3), `WORKFLOW_BLOCK` for a block and `WORKFLOW_CANDIDATE`
 * (k) for a candidate.
 */
export function dispatchEnvironment(
  context: DispatchContext,
  base: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    ...base,
    WORKFLOW_PLANSPACE: context.planspace,
    WORKFLOW_CODESPACE: context.codespace,
    WORKFLOW_STEP: String(context.step),
    WORKFLOW_RUN_ID: context.runId,
    WORKFLOW_AGENT: context.agent,
    WORKFLOW_MODELS: context.models.join(','),
    ...(context.block === undefined ? {} : { WORKFLOW_BLOCK: context.block }),
    ...(context.candidate === undefined ? {} : { WORKFLOW_CANDIDATE: String(context.candidate) }),
  };
}

/**
 * The `PATH` of a dispatched agent (before its model's `env` table): `commands`, the package's
 * `bin/`, the folder of the running `node`, then `basePath`, without empty or repeated folders.
 */
export function agentPath(commands: string, basePath: string | undefined, nodePath: string = process.execPath): string {
  const path = [commands, PACKAGE_BIN, dirname(nodePath), ...(basePath ?? '').split(delimiter)].filter((p) => p !== '');
  return [...new Set(path)].join(delimiter);
}

/** A prompt as the engine wrote it: its text, and the file holding exactly that text. */
export interface WrittenPrompt {
  readonly text: string;
  /** `artifacts/<stem>-prompt.md`. */
  readonly file: string;
}

/** The values of a dispatch's placeholders (`{planspace}`, `{step}`, ...; see `placeholders.ts`). */
export function placeholderValues(context: DispatchContext, prompt: WrittenPrompt): PlaceholderValues {
  return {
    planspace: context.planspace,
    codespace: context.codespace,
    step: String(context.step),
    run_id: context.runId,
    prompt_file: prompt.file,
  };
}

/**
 * The command for a model and a prompt: the model's `args` and `env` values with their
 * placeholders filled in from `context` and the prompt file (`{planspace}`, `{codespace}`,
 * `{step}`, `{run_id}`, `{prompt_file}`; `{{` and `}}` for literal braces); the prompt file
 * becomes the agent's standard input (`prompt_mode = "stdin"`) or the prompt text its last
 * argument (`"arg"`, never searched for placeholders); the model's `env` table is laid over `env`.
 */
export function buildAgentCommand(
  model: ModelSpec,
  prompt: WrittenPrompt,
  env: Readonly<Record<string, string>>,
  context: DispatchContext,
): AgentCommand {
  const values = placeholderValues(context, prompt);
  const args = model.args.map((arg) => fillPlaceholders(arg, values));
  const modelEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(model.env)) modelEnv[key] = fillPlaceholders(value, values);
  return {
    file: model.command,
    args: model.promptMode === 'arg' ? [...args, prompt.text] : args,
    inputFile: model.promptMode === 'stdin' ? prompt.file : undefined,
    env: { ...env, ...modelEnv },
  };
}
