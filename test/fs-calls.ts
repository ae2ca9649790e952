/**
 * Counts the calls a piece of code makes to `node:fs` functions, for tests of what an engine
 * step costs in system calls and thread-pool round trips (a test of time would be a test of the
 * machine's load). The functions are wrapped on the built-in module and copied to its ES module
 * exports (`syncBuiltinESMExports`), so that `import { lstatSync } from 'node:fs'` in `src/`
 * sees the wrapper too.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

const fs = createRequire(import.meta.url)('node:fs') as Record<string, unknown>;

/**
 * Runs `body` with the `node:fs` functions `names` counted.
 *
 * @returns the number of calls of each, by name.
 */
export async function countFsCalls(names: readonly string[], body: () => unknown): Promise<Record<string, number>> {
  const counts: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  const originals = new Map(names.map((name) => [name, fs[name] as (...args: unknown[]) => unknown]));
  for (const [name, original] of originals) {
    fs[name] = (...args: unknown[]) => {
      counts[name] = (counts[name] ?? 0) + 1;
      return original(...args);
    };
  }
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    for (const [name, original] of originals) fs[name] = original;
    syncBuiltinESMExports();
  }
  return counts;
}

/**
 * Runs `body` with the `FileHandle` methods `names` counted: each call of one is a round trip
 * to libuv's thread pool.
 *
 * @param probe - any existing file (a handle is opened on it to reach the class).
 * @returns the number of calls of each, by name.
 */
export async function countHandleCalls(
  probe: string,
  names: readonly (keyof FileHandle & string)[],
  body: () => unknown,
): Promise<Record<string, number>> {
  const handle = await open(probe, 'r');
  const proto = Object.getPrototypeOf(handle) as Record<string, unknown>;
  await handle.close();
  const counts: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  const originals = new Map(names.map((name) => [name, proto[name] as (...args: unknown[]) => unknown]));
  for (const [name, original] of originals) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      counts[name] = (counts[name] ?? 0) + 1;
      return original.apply(this, args);
    };
  }
  try {
    await body();
  } finally {
    for (const [name, original] of originals) proto[name] = original;
  }
  return counts;
}
