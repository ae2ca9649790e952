// Bundles each CLI into one file under dist/bin/. Start-up time is most of what a schedule verb
// costs, and Node resolves and compiles one file far faster than the ~40 it is built from.
// The markdown parser stays outside the bundle: it loads on demand, only for schedules with
// fenced code, and later verbs that need it pay for it then.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry a hash of their content: without this, every build left its old chunks behind.
rmSync('dist/bin/chunks', { recursive: true, force: true });

await build({
  entryPoints: { workflow: 'src/cli/main.ts' },
  outdir: 'dist/bin',
  bundle: true,
  // Verbs load their heavy dependencies (chokidar, the engine) with import(); as separate
  // chunks, those and the Node built-ins they need load only when such a verb runs.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  external: ['unified', 'remark-parse'],
  // proper-lockfile calls only mkdir, stat, rmdir, utimes and realpath through graceful-fs, which
  // changes none of them on Node 20 (it queues opens and reads when files run out, EMFILE).
  // Loading it patched fs.close for the whole process and was a third of the lock's start-up.
  // signal-exit (proper-lockfile) requires Node's assert for one assert.equal; the shim has that
  // alone and saves the lock's first use about 3 ms.
  alias: { 'graceful-fs': 'node:fs', assert: './scripts/shims/assert.js' },
  // Bundled CommonJS dependencies (commander, proper-lockfile) call require(). The banner goes
  // into every chunk, and most never call it: the real require is made on first use, not at
  // load, where createRequire cost each of the hot verbs' chunks a CommonJS module object.
  banner: {
    js:
      "import { createRequire as __createRequire } from 'node:module'; let __cjsRequire; " +
      'const require = (id) => (__cjsRequire ??= __createRequire(import.meta.url))(id);',
  },
  logLevel: 'warning',
});
