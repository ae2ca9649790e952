#!/usr/bin/env node
// CommonJS (bin/package.json): the schedule verbs start without Node's ES module loader.
const { loadBundle } = require('./hot-loader.js');

const loadWholeCli = () => import('../dist/bin/workflow.js');
// `workflow run` has a start-up bundle of its own (see src/cli/run-entry.ts).
loadBundle(process.argv[2] === 'run' ? 'run' : 'hot').exports.main(loadWholeCli);
