#!/usr/bin/env node
// The demo's scripted human: watches for questions and answers each one through
// `workflow answer`, as a person would from another terminal.
//   node examples/demo/human.js <planspace>
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const workflow = fileURLToPath(new URL('../../bin/workflow.js', import.meta.url));
const [planspace] = process.argv.slice(2);
const run = (...args) => execFileSync(process.execPath, [workflow, ...args], { encoding: 'utf8' });

for (;;) {
  // A command that fails (its message is on stderr) is tried again at the next look, as a
  // person would: one failed look must not leave the run waiting for an answer forever.
  try {
    for (const question of JSON.parse(run('questions', planspace, '--json'))) {
      const answer = question.kind === 'ask' ? 'yes, ship it' : 'retry';
      console.log(`[human] ${question.id}: "${question.question}" -> ${answer}`);
      run('answer', planspace, '--id', question.id, answer);
    }
  } catch (error) {
    console.log(`[human] ${error.message.split('\n')[0]}; looking again`);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
