/**
 * The entry of `bin/workflow.js` for `workflow run`: the engine in a CommonJS bundle of its own
 * (`dist/bin/run.cjs`), which Node runs without its ES module loader. Resolving, loading and
 * linking the ES chunks of the run path was a fifth of the time from a run's start to its
 * first agent. Every other call, `run --help` and usage errors included, goes to the whole
 * CLI, as from `hot.ts`.
 */
import { mainOf, type WholeCliLoader } from './hot.js';
import { runCommand } from './run.js';

/** Runs `workflow run` on the process's argv (see `mainOf`); sets the exit code. */
export function main(loadWholeCli: WholeCliLoader): Promise<void> {
  return mainOf({ run: (io) => Promise.resolve(runCommand(io)) }, loadWholeCli);
}
