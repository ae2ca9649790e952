/**
 * The `workflow` command: argv in, exit code out. The only module that writes to the
 * process's streams, decides exit codes or exits.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { formatProblem, PlanspaceError, ScheduleSyntaxError } from '../errors.js';
import { checkCommand } from './check.js';
import { EXIT, exitCodeFor, isSystemError } from './exit-codes.js';
import { markCommand, retryCommand } from './mark.js';
import { nextCommand } from './next.js';
import { parseCommand } from './parse.js';
import { statusCommand } from './status.js';
import type { CommonOptions, VerbOutput } from './verb.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Where the CLI writes; tests pass their own. */
export interface CliStreams {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processStreams: CliStreams = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** The JSON form of an error, for `--json`. */
function errorJson(error: unknown): unknown {
  const code = error instanceof PlanspaceError ? error.code : isSystemError(error) ? error.code : 'E_INTERNAL';
  const problems = error instanceof ScheduleSyntaxError ? error.problems : undefined;
  return { error: { code, message: error instanceof Error ? error.message : String(error), problems } };
}

/** The one-line (or, for schedule problems, one-per-problem) reason for stderr. */
function errorText(error: unknown): string {
  if (error instanceof ScheduleSyntaxError) return error.problems.map(formatProblem).join('\n');
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Builds the `workflow` program; `emit` receives each verb's output. */
function buildProgram(emit: (output: VerbOutput, options: CommonOptions) => void, streams: CliStreams): Command {
  const program = new Command('workflow')
    .description('planspace: a file-based workflow engine for teams of AI coding agents')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: streams.stdout, writeErr: streams.stderr })
    .showHelpAfterError('(run with --help for usage)');
  const verbs = [
    nextCommand(emit),
    parseCommand(emit),
    markCommand(emit, 'done'),
    markCommand(emit, 'fail'),
    markCommand(emit, 'skip'),
    retryCommand(emit),
    statusCommand(emit),
    checkCommand(emit),
  ];
  for (const verb of verbs) {
    verb.exitOverride().configureOutput({ writeOut: streams.stdout, writeErr: streams.stderr });
    program.addCommand(verb);
  }
  return program;
}

/**
 * Runs the `workflow` CLI.
 *
 * @param argv - the arguments after the executable and script, e.g. `['next', './plan']`.
 * @param streams - where output goes. Default: the process's stdout and stderr.
 * @returns the exit code: 0 success, 1 a named condition, 2 bad usage or input,
 *   3 blocked, 70 a bug.
 */
export async function runCli(argv: readonly string[], streams: CliStreams = processStreams): Promise<number> {
  let exitCode: number = EXIT.ok;
  let json = argv.includes('--json');
  const emit = (output: VerbOutput, options: CommonOptions): void => {
    json = options.json === true;
    if (json) streams.stdout(`${JSON.stringify(output.json)}\n`);
    else {
      for (const note of output.notes ?? []) streams.stderr(`${note}\n`);
      streams.stdout(`${output.text}\n`);
    }
    exitCode = output.exitCode ?? EXIT.ok;
  };
  try {
    await buildProgram(emit, streams).parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      const shown = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      return shown ? EXIT.ok : EXIT.usage;
    }
    const code = exitCodeFor(error);
    if (json) streams.stdout(`${JSON.stringify(errorJson(error))}\n`);
    if (code === EXIT.condition) {
      if (!json) streams.stdout(`ERROR: ${errorText(error)}\n`);
    } else if (code === EXIT.bug) {
      streams.stderr(
        `workflow: internal error (a bug; please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    } else {
      streams.stderr(`${errorText(error)}\n`);
    }
    return code;
  }
}

/** Entry point of `bin/workflow.js`: runs the CLI on the process's argv and sets its exit code. */
export async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2));
}
