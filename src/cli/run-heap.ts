/**
 * The heap of a `workflow run` process, kept small so that starting an agent costs the same on
 * a schedule of 100 steps or 10,000. Node starts an agent with `fork` (libuv 1.46 on Linux),
 * whose cost grows with the pages the engine has touched: it copies their page tables.
 * Reading and planning a 10,000-step schedule at the start made V8 grow its young generation
 * from 2 MiB to 16 MiB (on the high survival rate of a parse), and keep it so for the rest of
 * the run: each agent's start then took twice as long as on a 100-step schedule. At its first
 * size the young generation still serves the engine: its objects are few and short-lived,
 * and what a start-up parse keeps is promoted to the old generation, where it belongs, a
 * little earlier.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its first size for the rest of the process
 * (`--semi-space-growth-factor=1`, read by V8 each time it would grow it). A process-wide
 * setting: called by the `workflow run` verb only, never by the library.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
