// Starts <count> copies of a command at once in <cwd>, each with a short prompt file as its
// standard input (as the engine gives it), and exits when all have exited (the baseline of
// bench/parallel.js).
//
//   node bench/workers/parallel-baseline.js <count> <cwd> <command> [args...]
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [count, cwd, command, ...args] = process.argv.slice(2);
const promptFile = join(cwd, 'baseline-prompt.md');
writeFileSync(promptFile, 'prompt\n');
await Promise.all(
  Array.from({ length: Number(count) }, () => {
    const input = openSync(promptFile, 'r');
    const child = spawn(command, args, { cwd, stdio: [input, 'ignore', 'inherit'] });
    closeSync(input);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
    });
  }),
);
