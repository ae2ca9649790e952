#!/usr/bin/env node
// CommonJS, as every file here (bin/package.json); the mailbox verbs live in the ES module bundle.
import('../dist/bin/workflow.js').then(({ main }) => main('mailbox'));
