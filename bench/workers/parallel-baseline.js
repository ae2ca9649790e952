// Starts <count> copies of a command at once in <cwd>, each with a short prompt on standard
// input, and exits when all have exited (the baseline of bench/parallel.js).
//
//   node bench/workers/parallel-baseline.js <count> <cwd> <command> [args...]
import { spawn } from 'node:child_process';

const [count, cwd, command, ...args] = process.argv.slice(2);
await Promise.all(
  Array.from({ length: Number(count) }, () => {
    const child = spawn(command, args, { cwd, stdio: ['pipe', 'ignore', 'inherit'] });
    child.stdin.end('prompt\n');
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
    });
  }),
);
