#!/usr/bin/env node
// CommonJS (bin/package.json): the schedule verbs start without Node's ES module loader.
require('../dist/bin/hot.cjs').main();
