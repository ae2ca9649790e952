/**
 * The `workflow` and `mailbox` programs as commander builds them: `--help`, `--version`,
 * usage errors, and every verb `fast-argv.ts` leaves to it. Loaded on demand by `main.ts`.
 */
import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { PACKAGE_VERSION } from '../package-root.js';
import { openQuestions } from '../engine/questions.js';
import { PlanspaceError } from '../errors.js';
import { planspacePaths } from '../planspace/paths.js';
import { readSchedule } from '../schedule/operations.js';
import { artifactsCommand } from './artifacts.js';
import { candidatesCommand } from './candidates.js';
import { addCommand } from './add.js';
import { checkCommand } from './check.js';
import { checkpointsCommand, rollbackCommand } from './checkpoints.js';
import { completeWords, completionModel, type CompletionLookups } from './complete-words.js';
import { COMPLETE_VERB, completionCommand } from './completion.js';
import { HELP_WIDTH, toCommand } from './command.js';
import { EXIT } from './exit-codes.js';
import { initCommand } from './init.js';
import { mailboxCommands } from './mailbox.js';
import type { CliStreams, ProgramName } from './main.js';
import { markCommand, retryCommand } from './mark.js';
import { modelsCommands } from './models.js';
import { nextCommand } from './next.js';
import { parseCommand } from './parse.js';
import { reportCommand } from './report.js';
import { abortCommand, answerCommand, questionsCommand } from './questions.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { worktreesCommand } from './worktrees.js';
import type { VerbIO } from './verb.js';

/**
 * Help of a program (or the `mailbox` group): verbs listed by name alone, so that their
 * summaries keep enough of the 80 columns to be wrapped (commander wraps nothing narrower
 * than 40); each verb's own `--help` shows its arguments.
 */
const HELP = { helpWidth: HELP_WIDTH, subcommandTerm: (command: Command) => command.name() };

/** Each program's verbs by name; a factory builds the verb's command only when it is needed. */
function verbFactories(name: ProgramName, io: VerbIO, output: OutputConfiguration): Map<string, () => Command> {
  const mailboxVerbs = (): Command[] => mailboxCommands(io).map(toCommand);
  if (name === 'mailbox') return new Map(mailboxVerbs().map((verb) => [verb.name(), () => verb]));
  return new Map<string, () => Command>([
    ['next', () => toCommand(nextCommand(io))],
    ['parse', () => toCommand(parseCommand(io))],
    ['done', () => toCommand(markCommand(io, 'done'))],
    ['fail', () => toCommand(markCommand(io, 'fail'))],
    ['skip', () => toCommand(markCommand(io, 'skip'))],
    ['retry', () => toCommand(retryCommand(io))],
    ['add', () => toCommand(addCommand(io))],
    ['status', () => toCommand(statusCommand(io))],
    ['check', () => toCommand(checkCommand(io))],
    ['run', () => toCommand(runCommand(io))],
    ['answer', () => toCommand(answerCommand(io))],
    ['questions', () => toCommand(questionsCommand(io))],
    ['report', () => toCommand(reportCommand(io))],
    ['abort', () => toCommand(abortCommand(io))],
    ['checkpoints', () => toCommand(checkpointsCommand(io))],
    ['rollback', () => toCommand(rollbackCommand(io))],
    ['worktrees', () => toCommand(worktreesCommand(io))],
    ['candidates', () => toCommand(candidatesCommand(io))],
    ['artifacts', () => toCommand(artifactsCommand(io))],
    ['init', () => toCommand(initCommand(io))],
    [
      'completion',
      () => toCommand(completionCommand(io, () => completionModel(buildProgram('workflow', io, { ...noOutput })))),
    ],
    [
      'models',
      () => {
        const group = new Command('models')
          .description('the model files a run finds (list), and one for Claude Code, Codex or opencode (add)')
          .configureHelp(HELP);
        for (const verb of modelsCommands(io)) group.addCommand(toCommand(verb).exitOverride().configureOutput(output));
        return group;
      },
    ],
    [
      'mailbox',
      () => {
        const group = new Command('mailbox')
          .description('the mailbox verbs, as the `mailbox` command has them')
          .configureHelp(HELP);
        for (const verb of mailboxVerbs()) group.addCommand(verb.exitOverride().configureOutput(output));
        return group;
      },
    ],
  ]);
}

/** Output of a program built only to be described (completion): it never prints. */
const noOutput: CliStreams = {
  stdout: () => undefined,
  stderr: () => undefined,
  flush: () => Promise.resolve(),
  readStdin: () => Promise.resolve(Buffer.alloc(0)),
};

/**
 * What completion reads from a planspace: nothing, and no error shown, when the planspace is
 * not one (yet) or its schedule or questions are bad; the verb itself will say why later.
 */
const COMPLETION_LOOKUPS: CompletionLookups = {
  stepNumbers: async (planspace) => {
    try {
      return (await readSchedule(planspace)).steps.map((step) => step.number);
    } catch (error) {
      if (error instanceof PlanspaceError) return [];
      throw error;
    }
  },
  questionIds: async (planspace) => {
    try {
      return (await openQuestions(planspacePaths(planspace))).map((question) => question.id);
    } catch (error) {
      if (error instanceof PlanspaceError) return [];
      throw error;
    }
  },
};

/**
 * Builds the `workflow` or `mailbox` program. With `verb` naming one of its verbs, only that
 * verb is built: a verb call is mostly start-up, and building all of them costs several ms.
 */
function buildProgram(name: ProgramName, io: VerbIO, streams: CliStreams, verb?: string): Command {
  const output: OutputConfiguration = { writeOut: streams.stdout, writeErr: streams.stderr };
  const program = new Command(name)
    .version(PACKAGE_VERSION)
    .exitOverride()
    .configureOutput(output)
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp(HELP)
    .description(
      name === 'mailbox'
        ? 'planspace mailboxes: messages between agents, the engine and humans'
        : 'planspace: a file-based workflow engine for teams of AI coding agents',
    );
  const factories = verbFactories(name, io, output);
  const only = verb === undefined ? undefined : factories.get(verb);
  for (const make of only ? [only] : factories.values()) {
    program.addCommand(make().exitOverride().configureOutput(output));
  }
  return program;
}

/**
 * Runs `argv` through commander.
 *
 * @returns the exit code of help, version and usage errors (0 or 2), or undefined once the
 *   verb has run (its output emitted through `io`).
 * @throws whatever the verb throws.
 */
export async function runProgram(
  name: ProgramName,
  io: VerbIO,
  streams: CliStreams,
  argv: readonly string[],
): Promise<number | undefined> {
  if (name === 'workflow' && argv[0] === COMPLETE_VERB) {
    // Not through commander: the words to complete are any words, `--id` and `-` among them.
    const model = completionModel(buildProgram('workflow', io, streams));
    const candidates = await completeWords(model, argv.slice(1), COMPLETION_LOOKUPS);
    io.print(candidates.map((candidate) => `${candidate}\n`).join(''));
    return EXIT.ok;
  }
  try {
    await buildProgram(name, io, streams, argv[0]).parseAsync([...argv], { from: 'user' });
    return undefined;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const shown = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
    return shown ? EXIT.ok : EXIT.usage;
  }
}
