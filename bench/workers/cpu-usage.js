// Preloaded by bench/engine.js into `workflow run` (`node --import`): when the process exits,
// writes its own CPU time in ms (user + system, not its children's) to $BENCH_CPU_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_CPU_FILE;
if (file !== undefined) {
  process.once('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(file, JSON.stringify({ cpuMs: (user + system) / 1000 }));
  });
}
