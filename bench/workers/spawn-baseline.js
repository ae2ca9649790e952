// Baseline of bench/engine.js: what running the agents costs without the engine. Starts the
// agent command once per prompt, one after another, each with its prompt file as standard
// input (as the engine gives it), waiting for each to exit; prints every spawn-to-exit time and
// the process's own CPU time as JSON.
//
//   node spawn-baseline.js <prompts-dir> <count> <cwd> <command> [args...]
//
// The prompts are `<prompts-dir>/step-<n>-prompt.md`.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';

const [dir, count, cwd, file, ...args] = process.argv.slice(2);
const prompts = [];
for (let n = 1; n <= Number(count); n += 1) prompts.push(join(dir, `step-${n}-prompt.md`));

function runAgent(prompt) {
  return new Promise((resolve, reject) => {
    const input = openSync(prompt, 'r');
    const child = spawn(file, args, { cwd, stdio: [input, 'ignore', 'ignore'] });
    closeSync(input);
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(signal ?? code));
  });
}

const durations = [];
for (const prompt of prompts) {
  const start = performance.now();
  const status = await runAgent(prompt);
  durations.push(performance.now() - start);
  if (status !== 0) throw new Error(`${file} ended with ${String(status)}`);
}
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ durations, cpuMs: (cpu.user + cpu.system) / 1000 }));
