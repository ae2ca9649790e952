// Loads dist/bin/hot.cjs (the schedule verbs; see src/cli/hot.ts) as Node loads a CommonJS
// module, but compiled with the V8 code cache that `npm run build` made for it
// (dist/bin/hot.cjs.cache, see scripts/bundle.js): compiling the bundle was a fifth of what
// `workflow next` added to bare node's start-up. V8 refuses a cache made by another Node
// version or with other flags (the bundle is then compiled as usual); the build deletes the
// cache before it rewrites the bundle, so a cache never outlives its bundle.
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const folder = join(__dirname, '..', 'dist', 'bin');
const file = join(folder, 'hot.cjs');
const cacheFile = `${file}.cache`;

/**
 * Loads the bundle.
 *
 * @param {{ cache?: boolean }} [options] - `cache: false` compiles without the cache (to make it).
 * @returns {{ hot: { main: (loadWholeCli: () => Promise<unknown>) => Promise<void> }, script: import('node:vm').Script }}
 */
function loadHot({ cache = true } = {}) {
  let cachedData;
  if (cache) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch (error) {
      // No cache (a build that could not make one): compiled as usual.
      if (error.code !== 'ENOENT') throw error;
    }
  }
  // Node's own CommonJS wrapper, on the first line, so that stack traces keep their lines.
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n});`;
  const script = new Script(source, { filename: file, cachedData });
  const hot = { exports: {} };
  script.runInThisContext()(hot.exports, createRequire(file), hot, file, folder);
  return { hot: hot.exports, script };
}

module.exports = { loadHot, cacheFile };
