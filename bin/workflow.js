#!/usr/bin/env node
// CommonJS (bin/package.json): the schedule verbs start without Node's ES module loader.
const { loadHot } = require('./hot-loader.js');

loadHot().hot.main(() => import('../dist/bin/workflow.js'));
