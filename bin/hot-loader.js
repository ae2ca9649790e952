// Loads a start-up bundle, dist/bin/<name>.cjs (`hot`: the schedule verbs, see src/cli/hot.ts;
// `run`: `workflow run`, see src/cli/run-entry.ts), as Node loads a CommonJS module, but
// compiled with the V8 code cache that `npm run build` made for it (dist/bin/<name>.cjs.cache,
// see scripts/bundle.js): compiling a bundle was a fifth of what `workflow next` added to bare
// node's start-up, and ~10 ms of a run's start. V8 refuses a cache made by another Node version
// or with other flags (the bundle is then compiled as usual); the build deletes the caches
// before it rewrites the bundles, so a cache never outlives its bundle.
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const folder = join(__dirname, '..', 'dist', 'bin');

/** The path of a bundle's code cache. */
function cacheFileOf(name) {
  return join(folder, `${name}.cjs.cache`);
}

/**
 * Loads a bundle.
 *
 * @param {'hot' | 'run'} name - the bundle: dist/bin/<name>.cjs.
 * @param {{ cache?: boolean }} [options] - `cache: false` compiles without the cache (to make it).
 * @returns {{ exports: { main: (loadWholeCli: () => Promise<unknown>) => Promise<void> }, script: import('node:vm').Script }}
 */
function loadBundle(name, { cache = true } = {}) {
  const file = join(folder, `${name}.cjs`);
  let cachedData;
  if (cache) {
    try {
      cachedData = readFileSync(cacheFileOf(name));
    } catch (error) {
      // No cache (a build that could not make one): compiled as usual.
      if (error.code !== 'ENOENT') throw error;
    }
  }
  // Node's own CommonJS wrapper, on the first line, so that stack traces keep their lines.
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n});`;
  const script = new Script(source, { filename: file, cachedData });
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, folder);
  return { exports: bundle.exports, script };
}

module.exports = { loadBundle, cacheFileOf };
