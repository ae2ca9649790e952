// `assert` as the CLI bundle's one user of it needs it: signal-exit (loaded with proper-lockfile)
// calls only `assert.equal(typeof cb, 'function', message)`. Node's own `assert` cost every lock
// taker about 3 ms of start-up (it loads its error formatting and call tracking).

/** Node's `AssertionError`, as far as a caller can tell: its name and code. */
export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
    this.code = 'ERR_ASSERTION';
  }
}

/** Loose equality, as `assert.equal`: throws an `AssertionError` with `message` otherwise. */
export function equal(actual, expected, message) {
  // Loose, as assert.equal compares.
  if (actual != expected) throw new AssertionError(message ?? `${String(actual)} == ${String(expected)}`);
}
