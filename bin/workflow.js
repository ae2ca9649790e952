#!/usr/bin/env node
// CommonJS (bin/package.json): the schedule verbs start without Node's ES module loader.
const { loadHot } = require('./hot-loader.js');

const loadWholeCli = () => import('../dist/bin/workflow.js');
// `workflow run` has a start-up bundle of its own (see src/cli/run-entry.ts).
if (process.argv[2] === 'run') require('../dist/bin/run.cjs').main(loadWholeCli);
else loadHot().hot.main(loadWholeCli);
