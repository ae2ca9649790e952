// Sends one message per `{ type: 'go', i }` from the parent and answers `{ type: 'sent', i, t0, t1 }`:
// t0 just before the send call, t1 just after it returned (the message is delivered by then).
//
//   node bench/workers/latency-sender.js library <planspace> <mailbox>   (the library's send)
//   node bench/workers/latency-sender.js append <file>                   (append a line: raw fs.watch floor)
//   node bench/workers/latency-sender.js file <folder>                   (write a file: polling receiver)
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { send } from '../../dist/index.js';
import { now, serve } from './common.js';

const [mode, target, mailbox] = process.argv.slice(2);

const operations = {
  library: (i) => send(target, mailbox, `${i}\n`),
  append: (i) => appendFile(target, `${i}\n`),
  file: (i) => writeFile(join(target, `m${i}`), `${i}\n`),
};
const operation = operations[mode];
if (operation === undefined) throw new Error(`unknown mode ${mode}`);

serve({
  go: async ({ i }) => {
    const t0 = now();
    await operation(i);
    const t1 = now();
    process.send({ type: 'sent', i, t0, t1 });
  },
});
