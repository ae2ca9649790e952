// On `{ type: 'go' }`, sends <count> messages one after another, bodies `<index>:<k>`, then
// answers `{ type: 'done', start, end }`.
//
//   node bench/workers/throughput-sender.js library <planspace> <mailbox> <index> <count>
//   node bench/workers/throughput-sender.js append <file> - <index> <count>   (a line each: the floor)
import { appendFile } from 'node:fs/promises';
import { send } from '../../dist/index.js';
import { now, serve } from './common.js';

const [mode, target, mailbox, index, count] = process.argv.slice(2);

const operations = {
  library: (body) => send(target, mailbox, body),
  append: (body) => appendFile(target, `${body}\n`),
};
const operation = operations[mode];
if (operation === undefined) throw new Error(`unknown mode ${mode}`);

serve({
  go: async () => {
    const start = now();
    for (let k = 0; k < Number(count); k += 1) await operation(`${index}:${k}`);
    process.send({ type: 'done', start, end: now() });
  },
});
