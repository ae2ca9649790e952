// Drains <mailbox> with openInbox/next as fast as messages come, reporting `{ type: 'progress',
// count }` every 100 ms; on `{ type: 'stop' }` answers `{ type: 'result', bodies, seqs, last }`
// (every body received, in order, with its sequence number, and when the last one came).
//
//   node bench/workers/throughput-receiver.js <planspace> <mailbox>
import { openInbox } from '../../dist/index.js';
import { now, serve } from './common.js';

const [planspace, mailbox] = process.argv.slice(2);
const inbox = await openInbox(planspace, mailbox);
const stop = new AbortController();
const bodies = [];
const seqs = [];
let last = 0;

const progress = setInterval(() => {
  process.send({ type: 'progress', count: bodies.length });
}, 100);

async function drain() {
  try {
    for (;;) {
      const message = await inbox.next({ signal: stop.signal });
      last = now();
      bodies.push(message.body.toString());
      seqs.push(message.seq);
    }
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  }
}

const draining = drain();
serve({
  stop: async () => {
    stop.abort();
    await draining;
    clearInterval(progress);
    await inbox.close();
    process.send({ type: 'result', bodies, seqs, last });
  },
});
