/**
 * The entry of `bin/workflow.js`: the schedule verbs (`next`, `status`, `done`, ...) in a
 * CommonJS bundle of their own (`dist/bin/hot.cjs`), because start-up is most of what they
 * cost. CommonJS starts without Node's ES module loader, and one file without resolving and
 * linking a dozen chunks: a third of what `workflow next` added to bare node's start-up.
 * Every other call (help, usage errors, the other verbs, `workflow mailbox ...`) goes to the
 * whole CLI, the ES module bundle `dist/bin/workflow.js`, loaded only then; it runs under
 * this process's signal handling and output streams.
 */
import { mainWith, type Dispatch } from './cli-core.js';
import { SCHEDULE_VERBS } from './schedule-verbs.js';

const DISPATCH: Dispatch = {
  hot: { workflow: SCHEDULE_VERBS, mailbox: {} },
  fallback: async (program, io, streams, argv) => {
    // The build points this at the ES module bundle, `./workflow.js`. Its `runCli` handles
    // every error itself: this bundle's error classes are not the ones it throws.
    const { runCli } = await import('./main.js');
    return runCli(argv, { program, streams, signal: io.signal, forceSignal: io.forceSignal, env: io.env });
  },
};

/**
 * Runs `workflow` on the process's argv (see `mainWith`): the schedule verbs here, everything
 * else through the whole CLI; sets the exit code.
 */
export function main(): Promise<void> {
  return mainWith(DISPATCH, 'workflow');
}
