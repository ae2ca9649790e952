#!/usr/bin/env node
// npm run demo: a real `workflow run` with script agents and a scripted human, in a fresh
// temporary planspace and codespace, left for you to look at (the last line says where, and how
// to remove them). Exits with the run's exit code.
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

// Said however the demo ends: a failed step or a Ctrl-C leaves the folder too.
// Ctrl-C reaches the run as well, which stops its agents and exits: wait for it, then report.
process.on('SIGINT', () => undefined);
process.on('exit', () => {
  console.log(`\ntemporary folder left for you to look at: ${root}\nremove it with: rm -rf '${root}'`);
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
