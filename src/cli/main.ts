/**
 * The whole `workflow` and `mailbox` CLI (the ES module bundle `dist/bin/workflow.js`): the
 * schedule and mailbox verbs without commander, everything else through commander, loaded
 * only then. See `cli-core.ts` for what a run does, and `hot.ts` for the start-up bundle that
 * runs the schedule verbs before this one is loaded.
 */
import { mainWith, runCliWith, type Dispatch, type ProgramName, type RunOptions } from './cli-core.js';
import { SCHEDULE_VERBS } from './schedule-verbs.js';
import type { VerbDefinition, VerbIO } from './verb.js';

export type { CliStreams, ProgramName, RunOptions } from './cli-core.js';

async function mailboxVerb(io: VerbIO, name: string): Promise<VerbDefinition> {
  const verbs = (await import('./mailbox.js')).mailboxCommands(io);
  const verb = verbs.find((each) => each.spec.usage.startsWith(`${name} `));
  if (!verb) throw new Error(`no mailbox verb ${name}`);
  return verb;
}

/**
 * The schedule verbs and the mailbox verbs (each loads only its own module) run without
 * commander; help, usage errors and the other verbs go to commander, loaded only then.
 */
const DISPATCH: Dispatch = {
  hot: {
    workflow: {
      ...SCHEDULE_VERBS,
      // Not for start-up alone: loading commander was about 30 ms before the first agent of a run.
      run: async (io) => (await import('./run.js')).runCommand(io),
    },
    mailbox: {
      send: (io) => mailboxVerb(io, 'send'),
      recv: (io) => mailboxVerb(io, 'recv'),
      check: (io) => mailboxVerb(io, 'check'),
    },
  },
  fallback: async (program, io, streams, argv) => {
    const { runProgram } = await import('./program.js');
    return runProgram(program, io, streams, argv);
  },
};

/**
 * Runs the `workflow` (or `mailbox`) CLI.
 *
 * @param argv - the arguments after the executable and script, e.g. `['next', './plan']`.
 * @returns the exit code: 0 success, 1 a named condition, 2 bad usage or input,
 *   3 blocked, 70 a bug.
 */
export function runCli(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  return runCliWith(DISPATCH, argv, options);
}

/**
 * Entry point of `bin/mailbox.js`, and of `bin/workflow.js` for calls its start-up bundle
 * does not run: the CLI on the process's argv, with SIGINT, SIGTERM and SIGHUP aborting the
 * running verb; sets the exit code.
 */
export function main(program: ProgramName = 'workflow'): Promise<void> {
  return mainWith(DISPATCH, program);
}
