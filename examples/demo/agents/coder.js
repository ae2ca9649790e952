#!/usr/bin/env node
// The demo's coder: writes hello.js from settings.json, and fails while that file is missing.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codespace, done, readPrompt } from './common.js';

await readPrompt();
const settings = join(codespace, 'settings.json');
if (!existsSync(settings)) {
  console.error(`cannot build: ${settings} is missing`);
  process.exit(1);
}
const { greeting } = JSON.parse(readFileSync(settings, 'utf8'));
writeFileSync(join(codespace, 'hello.js'), `console.log(${JSON.stringify(`${greeting}, world`)});\n`);
console.log(`wrote hello.js printing "${greeting}, world"`);
done('hello.js written');
