/**
 * Building the command that starts an agent: pure functions of the model, the prompt and
 * the environment.
 */
import { delimiter, dirname } from 'node:path';
import { packagePath } from '../package-root.js';
import type { ModelSpec } from './models.js';

/** A program to start without a shell: file, arguments, standard input and environment. */
export interface AgentCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** Written to the agent's standard input, then closed; undefined: no standard input. */
  readonly input: string | undefined;
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
}

/**
 * The environment of a dispatched agent: the engine's own, the `WORKFLOW_*` variables, and a
 * `PATH` that starts with `commands` (the folder of `createCommandShims`: `workflow` and
 * `mailbox`, the same CLI the user runs), the package's `bin/` and the folder of the running
 * `node`.
 */
export function agentEnvironment(
  context: DispatchContext,
  commands: string,
  base: NodeJS.ProcessEnv = process.env,
  nodePath: string = process.execPath,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  const path = [commands, PACKAGE_BIN, dirname(nodePath), ...(base.PATH ?? '').split(delimiter)].filter(
    (p) => p !== '',
  );
  return {
    ...env,
    PATH: [...new Set(path)].join(delimiter),
    WORKFLOW_PLANSPACE: context.planspace,
    WORKFLOW_CODESPACE: context.codespace,
    WORKFLOW_STEP: String(context.step),
    WORKFLOW_RUN_ID: context.runId,
    WORKFLOW_AGENT: context.agent,
    WORKFLOW_MODELS: context.models.join(','),
    ...(context.block === undefined ? {} : { WORKFLOW_BLOCK: context.block }),
  };
}

/**
 * The command for a model and a prompt: the prompt goes to standard input
 * (`prompt_mode = "stdin"`) or becomes the last argument (`"arg"`); the model's `env` table
 * is laid over `env`.
 */
export function buildAgentCommand(
  model: ModelSpec,
  prompt: string,
  env: Readonly<Record<string, string>>,
): AgentCommand {
  return {
    file: model.command,
    args: model.promptMode === 'arg' ? [...model.args, prompt] : [...model.args],
    input: model.promptMode === 'stdin' ? prompt : undefined,
    env: { ...env, ...model.env },
  };
}
