// Bundles the CLI under dist/bin/. Start-up time is most of what a schedule verb costs, and
// Node resolves and compiles one file far faster than the ~40 it is built from:
// - dist/bin/hot.cjs (src/cli/hot.ts), what bin/workflow.js loads: the schedule verbs in one
//   CommonJS file, which Node runs without starting its ES module loader (resolving, loading
//   and linking ES modules was a third of what `workflow next` added to bare node's start-up),
//   and its V8 code cache, dist/bin/hot.cjs.cache (see bin/hot-loader.js);
// - dist/bin/workflow.js (src/cli/main.ts), the whole CLI as ES modules, loaded for every
//   other call and by bin/mailbox.js.
// The markdown parser stays outside both: it loads on demand, only for schedules with fenced
// code, and later verbs that need it pay for it then.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * signal-exit (which proper-lockfile loads to remove its locks at exit) requires node:assert
 * only to check that its callback is a function. Loading node:assert costs every locking verb
 * about 4 ms of its start-up (its error class, diff and colour code); this plugin gives
 * signal-exit an `equal` of its own (the same loose `!=` check, throwing an `ERR_ASSERTION` error).
 */
const signalExitAssert = {
  name: 'signal-exit-assert',
  setup(build) {
    build.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
      /[\\/]signal-exit[\\/]/.test(args.importer) ? { path: 'assert', namespace: 'signal-exit-assert' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'signal-exit-assert' }, () => ({
      loader: 'js',
      contents: `exports.equal = (actual, expected, message) => {
        if (actual != expected) throw Object.assign(new Error(message), { code: 'ERR_ASSERTION' });
      };`,
    }));
  },
};

/** Options both bundles share. */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  external: ['unified', 'remark-parse'],
  // proper-lockfile calls only mkdir, stat, rmdir, utimes and realpath through graceful-fs, which
  // changes none of them on Node 20 (it queues opens and reads when files run out, EMFILE).
  // Loading it patched fs.close for the whole process and was a third of the lock's start-up.
  alias: { 'graceful-fs': 'node:fs' },
  logLevel: 'warning',
};

// Chunk names carry a hash of their content: without this, every build left its old chunks behind.
rmSync('dist/bin/chunks', { recursive: true, force: true });
// The code cache of the bundle being rewritten: V8 checks a cache against its source's length
// only, so a stale one must never stay beside a new bundle.
for (const name of ['hot', 'run']) rmSync(`dist/bin/${name}.cjs.cache`, { force: true });

await build({
  ...common,
  entryPoints: { workflow: 'src/cli/main.ts' },
  outdir: 'dist/bin',
  // Verbs load their heavy dependencies (chokidar, the engine) with import(); as separate
  // chunks, those and the Node built-ins they need load only when such a verb runs.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  // Bundled CommonJS dependencies (commander, proper-lockfile) call require(). The banner goes
  // into every chunk, and most never call it: the real require is made on first use, not at
  // load, where createRequire cost each of the hot verbs' chunks a CommonJS module object.
  banner: {
    js:
      "import { createRequire as __createRequire } from 'node:module'; let __cjsRequire; " +
      'const require = (id) => (__cjsRequire ??= __createRequire(import.meta.url))(id);',
  },
  plugins: [signalExitAssert],
});

// The start-up bundles: the schedule verbs, and `workflow run` (the engine, chokidar and the
// rest of the run path in one file), both CommonJS.
for (const [entry, outfile] of [
  ['src/cli/hot.ts', 'dist/bin/hot.cjs'],
  ['src/cli/run-entry.ts', 'dist/bin/run.cjs'],
]) {
  await build({
    ...common,
    entryPoints: [entry],
    outfile,
    format: 'cjs',
    // bin/hot-loader.js runs these bundles as vm.Script code, where import() throws
    // ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING (Node's way around that is still experimental and
    // warns on Node 20): every import() in them becomes a require() on first use.
    supported: { 'dynamic-import': false },
    // The modules that read import.meta.url (package-root.ts, markdown.ts) get this file's URL.
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [signalExitAssert],
  });
}

// The V8 code caches of the start-up bundles, which bin/hot-loader.js compiles them with: each
// made by a real call on a throwaway planspace (`workflow next`; a `workflow run` of two steps
// whose agent is a `node -e ''`), so that it also holds the functions a call runs (V8 compiles
// those only when first called: the hold, the lock, the spawns and the settling were ~5 ms of a
// run's start when the cache came from a dry run). A cache that cannot be made is no error: the
// bundle is then compiled as usual.
const scratch = mkdtempSync(join(tmpdir(), 'planspace-code-cache-'));
try {
  const plan = join(scratch, 'plan');
  for (const folder of [plan, join(scratch, 'models'), join(scratch, 'agents'), join(scratch, 'code')]) {
    mkdirSync(folder);
  }
  writeFileSync(
    join(plan, 'schedule.md'),
    '# Schedule: cache\n\n[wait] 1. one | m -- first\n[wait] 2. two | m -- second\n',
  );
  const agent = `command = ${JSON.stringify(process.execPath)}\nargs = ["-e", ""]\n`;
  writeFileSync(join(scratch, 'models', 'm.toml'), agent);
  writeFileSync(join(scratch, 'agents', 'exception-handler.md'), '---\nmodel: m\n---\n\nNever started.\n');
  const calls = {
    hot: ['next', plan],
    run: ['run', plan, '--models', join(scratch, 'models'), '--agents', join(scratch, 'agents')].concat([
      '--codespace',
      join(scratch, 'code'),
    ]),
  };
  for (const [name, args] of Object.entries(calls)) {
    const make = [
      "const { writeFileSync } = require('node:fs');",
      "const { loadBundle, cacheFileOf } = require('./bin/hot-loader.js');",
      // V8 refuses a cache made with other flags than the loading process has: `workflow run`
      // sets one (src/cli/run-heap.ts) after its bundle is loaded, so here it must not.
      "require('node:v8').setFlagsFromString = () => {};",
      `const { exports, script } = loadBundle(${JSON.stringify(name)}, { cache: false });`,
      `process.argv = [process.argv[0], 'workflow', ...${JSON.stringify(args)}];`,
      "exports.main(() => import('./dist/bin/workflow.js')).then(() =>",
      `  writeFileSync(cacheFileOf(${JSON.stringify(name)}), script.createCachedData()));`,
    ].join('\n');
    const made = spawnSync(process.execPath, ['-e', make], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (made.status !== 0) console.warn(`bundle: no code cache for dist/bin/${name}.cjs (exit ${made.status})`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
