#!/usr/bin/env node
// The demo's exception handler: when a step failed for a missing settings.json, creates it and
// answers FIXED; for anything else it escalates to a human.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codespace, readPrompt } from './common.js';

const prompt = await readPrompt();
if (prompt.includes('settings.json is missing')) {
  writeFileSync(join(codespace, 'settings.json'), `${JSON.stringify({ greeting: 'Hello' })}\n`);
  console.log('the build needs settings.json; wrote one with the default greeting');
  console.log('FIXED: created settings.json with greeting "Hello"');
} else {
  console.log('ESCALATE: the failure is not one I know how to repair');
}
