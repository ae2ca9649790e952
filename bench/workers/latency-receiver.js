// Waits for messages and answers `{ type: 'woke', at, body }` when one arrives, `at` taken first.
// `{ type: 'arm' }` from the parent starts a wait and is answered with `{ type: 'armed' }`.
//
//   node bench/workers/latency-receiver.js library <planspace> <mailbox>  (openInbox + inbox.next())
//   node bench/workers/latency-receiver.js fswatch <file>                 (raw fs.watch on the file)
//   node bench/workers/latency-receiver.js poll <folder>                  (readdir every 500 ms)
import { watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { openInbox } from '../../dist/index.js';
import { now, serve } from './common.js';

const [mode, target, mailbox] = process.argv.slice(2);

if (mode === 'library') {
  const inbox = await openInbox(target, mailbox);
  serve({
    arm: async () => {
      process.send({ type: 'armed' });
      const message = await inbox.next();
      const at = now();
      process.send({ type: 'woke', at, body: message.body.toString() });
    },
  });
} else if (mode === 'fswatch') {
  let armed = false;
  watch(target, () => {
    const at = now();
    if (!armed) return;
    armed = false;
    process.send({ type: 'woke', at, body: null });
  });
  serve({
    arm: () => {
      armed = true;
      process.send({ type: 'armed' });
    },
  });
} else if (mode === 'poll') {
  // The old receiver: look at the folder every 500 ms; a new name is a new message.
  const seen = new Set(await readdir(target));
  setInterval(() => {
    void readdir(target).then((names) => {
      const at = now();
      for (const name of names) {
        if (seen.has(name)) continue;
        seen.add(name);
        process.send({ type: 'woke', at, body: name });
      }
    });
  }, 500);
  serve({ arm: () => process.send({ type: 'armed' }) });
} else {
  throw new Error(`unknown mode ${mode}`);
}
