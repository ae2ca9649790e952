/**
 * The entry of `bin/workflow.js`: the schedule verbs (`next`, `status`, `done`, ...) in a
 * CommonJS bundle of their own (`dist/bin/hot.cjs`), because start-up is most of what they
 * cost. CommonJS starts without Node's ES module loader, and one file without resolving and
 * linking a dozen chunks: a third of what `workflow next` added to bare node's start-up.
 * Every other call (help, usage errors, the other verbs, `workflow mailbox ...`) goes to the
 * whole CLI, the ES module bundle `dist/bin/workflow.js`, loaded only then; it runs under
 * this process's signal handling and output streams.
 */
import { mainWith, type Dispatch, type VerbLoader } from './cli-core.js';
import type { runCli } from './main.js';
import { SCHEDULE_VERBS } from './schedule-verbs.js';

/** Loads the whole CLI (`bin/workflow.js` imports `dist/bin/workflow.js`). */
export type WholeCliLoader = () => Promise<{ readonly runCli: typeof runCli }>;

/**
 * Runs `workflow` on the process's argv (see `mainWith`): the schedule verbs here, everything
 * else through the whole CLI, which `loadWholeCli` loads; sets the exit code.
 */
export function main(loadWholeCli: WholeCliLoader): Promise<void> {
  return mainOf(SCHEDULE_VERBS, loadWholeCli);
}

/**
 * Runs `workflow` on the process's argv with the verbs `verbs` here, everything else through
 * the whole CLI, which `loadWholeCli` loads; sets the exit code. Shared by the start-up
 * bundles (this one, and `run-entry.ts` for `workflow run`).
 */
export function mainOf(verbs: Readonly<Record<string, VerbLoader>>, loadWholeCli: WholeCliLoader): Promise<void> {
  const dispatch: Dispatch = {
    hot: { workflow: verbs, mailbox: {} },
    fallback: async (program, io, streams, argv) => {
      // Its `runCli` handles every error itself: this bundle's error classes are not the ones it throws.
      const whole = await loadWholeCli();
      return whole.runCli(argv, { program, streams, signal: io.signal, forceSignal: io.forceSignal, env: io.env });
    },
  };
  return mainWith(dispatch, 'workflow');
}
