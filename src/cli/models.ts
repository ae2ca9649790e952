/**
 * `workflow models list` and `workflow models add`: the model files a run would find, and a
 * working one for Claude Code, Codex or opencode written in one command.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { listModels, type ListedModel } from '../dispatch/model-list.js';
import { AGENT_CLIS, modelTemplate, type AgentCli } from '../dispatch/model-templates.js';
import { modelSearchPath } from '../dispatch/models.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { writeNewFileAtomic } from '../fs/write-new.js';
import { assertName } from '../names.js';
import { formatDurationText } from '../schedule/attributes.js';
import { defineVerb, type CommonOptions, type VerbDefinition, type VerbIO } from './verb.js';

/** Where to look: as `workflow run` looks (`--models`, then the codespace's, then the user's folder). */
interface WhereOptions extends CommonOptions {
  readonly models?: string;
  readonly codespace?: string;
}

const CODESPACE_OPTION = ['--codespace <dir>', 'the project agents work in (default: the current folder)'] as const;

/** A listed model as JSON: plain fields, durations in ms. */
function listedJson(model: ListedModel): unknown {
  const { spec } = model;
  return {
    name: model.name,
    file: model.file,
    command: spec?.command ?? null,
    args: spec?.args ?? null,
    promptMode: spec?.promptMode ?? null,
    report: spec?.report ?? null,
    timeoutMs: spec?.timeoutMs ?? null,
    stallMs: spec?.stallMs ?? null,
    commandFound: model.commandPath !== undefined,
    commandPath: model.commandPath ?? null,
    problem: model.problem ?? null,
    shadowedBy: model.shadowedBy ?? null,
  };
}

/** One line per model: `name | file | command=... | found=PATH`, then what hides or breaks it. */
function listedLine(model: ListedModel): string {
  const { spec } = model;
  const parts = [model.name, model.file];
  if (spec) {
    parts.push(`command=${spec.command}`);
    if (spec.report === 'required') parts.push('report=required');
    if (spec.timeoutMs !== undefined) parts.push(`timeout=${formatDurationText(spec.timeoutMs)}`);
    if (spec.stallMs !== undefined) parts.push(`stall=${formatDurationText(spec.stallMs)}`);
  }
  parts.push(model.commandPath === undefined ? `PROBLEM: ${model.problem ?? ''}` : `found=${model.commandPath}`);
  if (model.shadowedBy !== undefined) parts.push(`shadowed by ${model.shadowedBy}`);
  return parts.join(' | ');
}

/** `workflow models list`: every model file in the search path. */
function listCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[], WhereOptions>(
    {
      usage: 'list',
      summary:
        'List every model file a run would find, in the order it searches: --models DIR, <codespace>/.agents/models, ' +
        '~/.config/planspace/models. Each line: name, file, command, where the command is found (or why a run ' +
        'could not start it), and "shadowed by" for a file an earlier same-named one hides.',
      examples: [
        '$ workflow models list --models /p/m     # in /p/app',
        'claude | /p/m/claude.toml | command=claude | timeout=1h | found=/bin/claude',
        'claude | /p/app/.agents/models/claude.toml | command=claude | PROBLEM: command',
        "  'claude' not found on PATH | shadowed by /p/m/claude.toml",
        '$ workflow models list --json --codespace ./app',
      ],
      options: [['--models <dir>', 'searched first, as `workflow run --models`'], CODESPACE_OPTION],
    },
    io,
    async (options) => {
      const codespace = resolve(options.codespace ?? process.cwd());
      const searchPath = modelSearchPath({
        models: options.models === undefined ? undefined : resolve(options.models),
        codespace,
        env: io.env,
      });
      const models = await listModels(searchPath, { codespace, basePath: io.env.PATH });
      const text =
        models.length === 0 ? `no model files in ${searchPath.join(', ')}` : models.map(listedLine).join('\n');
      return { text, json: { searchPath, models: models.map(listedJson) } };
    },
  );
}

/** Options of `workflow models add`. */
interface AddOptions extends CommonOptions {
  readonly name?: string;
  readonly model?: string;
  readonly dir?: string;
  readonly codespace?: string;
  readonly force?: boolean;
}

/** `workflow models add <cli>`: write a model file for Claude Code, Codex or opencode. */
function addCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[string], AddOptions>(
    {
      usage: 'add <cli>',
      summary:
        `Write a model file for an agent CLI (${AGENT_CLIS.join(', ')}) with the flags today's CLI needs: the ` +
        "prompt on stdin, the protocol's mailbox and workflow commands allowed, report required, a timeout and a " +
        'stall limit, each with a comment saying why. Into <codespace>/.agents/models/ (where `workflow run` ' +
        'looks; --codespace as for run, default the current folder), or --dir.',
      examples: [
        '$ workflow models add claude',
        'wrote /work/app/.agents/models/claude.toml',
        '$ workflow models add codex --name coder --model gpt-5.3-codex',
        '$ workflow models add opencode --name glm --model zai/glm-4.6 --dir ~/models',
      ],
      exitCodes: ['2  bad usage, or the file exists (--force replaces it); nothing written'],
      options: [
        ['--name <name>', "the model name a schedule uses; the file is <name>.toml (default: the CLI's name)"],
        ['--model <id>', "the CLI's own model id (opencode: provider/model); default: the CLI's default"],
        ['--dir <dir>', 'the folder to write into (default: <codespace>/.agents/models)'],
        CODESPACE_OPTION,
        ['--force', 'replace a file that is already there'],
      ],
    },
    io,
    async (cli, options) => {
      if (!(AGENT_CLIS as readonly string[]).includes(cli)) {
        throw new UsageError(`unknown agent CLI '${cli}': models add knows ${AGENT_CLIS.join(', ')}`);
      }
      const name = options.name ?? cli;
      assertName('model', name);
      if (options.model?.trim() === '' || options.model?.startsWith('-') === true) {
        throw new UsageError(`--model wants the CLI's model id, such as opus; got '${options.model}'`);
      }
      const text = modelTemplate(cli as AgentCli, name, {
        ...(options.model !== undefined && { model: options.model }),
      });
      const dir = resolve(options.dir ?? join(options.codespace ?? process.cwd(), '.agents', 'models'));
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name}.toml`);
      if (options.force === true) await writeFileAtomic(file, text);
      else await writeNewFileAtomic(file, text, '--force replaces it');
      return { text: `wrote ${file}`, json: { file, name, cli } };
    },
  );
}

/** The verbs of `workflow models`. */
export function modelsCommands(io: VerbIO): VerbDefinition[] {
  return [listCommand(io), addCommand(io)];
}
