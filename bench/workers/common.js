// Shared by the benchmark workers: one clock for every process, and the IPC loop.
//
// `performance.timeOrigin + performance.now()` is wall-clock time in ms with sub-ms precision;
// processes on one machine agree on it (bench/mailbox.js checks by ping how closely).

/** Now, in ms since the epoch, comparable across processes on this machine. */
export function now() {
  return performance.timeOrigin + performance.now();
}

/**
 * Answers the parent's messages: `{ type: 'ping' }` with `{ type: 'pong', at }`, any other
 * type with `handlers[type](message)`. Sends `{ type: 'ready' }` once listening.
 * @param {Record<string, (message: any) => unknown>} handlers
 */
export function serve(handlers) {
  process.on('message', (message) => {
    if (message.type === 'ping') {
      process.send({ type: 'pong', at: now() });
      return;
    }
    const handler = handlers[message.type];
    if (handler === undefined) throw new Error(`unknown message ${JSON.stringify(message)}`);
    Promise.resolve(handler(message)).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  });
  // Leave when the parent goes, whatever it was doing.
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}
