#!/usr/bin/env node
// npm run demo: a real `workflow run` with script agents and a scripted human, in a fresh
// temporary planspace and codespace. Exits with the run's exit code.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const workflow = fileURLToPath(new URL('../../bin/workflow.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'planspace-demo-'));
const planspace = join(root, 'plan');
const codespace = join(root, 'code');

const exec = (args, options = {}) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', ...options });
    child.on('exit', (code) => resolve(code ?? 1));
  });

await exec([workflow, 'init', planspace, '--template', join(here, 'schedule.md'), '--set', 'name=greeting']);
await exec(['-e', `require('fs').mkdirSync(${JSON.stringify(codespace)})`]);
const human = spawn(process.execPath, [join(here, 'human.js'), planspace], { stdio: 'inherit' });
const code = await exec([
  workflow,
  'run',
  planspace,
  '--skills',
  join(here, 'skill'),
  '--models',
  join(here, 'models'),
  '--codespace',
  codespace,
]);
human.kill();
console.log(`\nschedule after the run (${join(planspace, 'schedule.md')}):`);
console.log(
  readFileSync(join(planspace, 'schedule.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('['))
    .join('\n'),
);
console.log(`\nplanspace: ${planspace}\ncodespace: ${codespace}`);
process.exitCode = code;
