#!/usr/bin/env node
// The demo's planner: surveys the codespace (step 1) or writes the report (step 4).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codespace, done, noteFact, planspace, readPrompt, step } from './common.js';

const prompt = await readPrompt();
if (prompt.includes('## Survey')) {
  const files = readdirSync(codespace);
  noteFact(`codespace files: ${files.length === 0 ? 'none' : files.join(', ')}`);
  noteFact(`settings.json ${files.includes('settings.json') ? 'exists' : 'is missing'}`);
  console.log(`surveyed ${files.length} files`);
  done(`surveyed ${files.length} files`);
} else {
  const log = readFileSync(join(planspace, 'log.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('- '));
  writeFileSync(join(planspace, 'artifacts', 'report.md'), `# Report\n\n${log.join('\n')}\n`);
  console.log(`step ${step}: wrote artifacts/report.md from ${log.length} log lines`);
  done('report written');
}
