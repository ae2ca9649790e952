/**
 * Standard output or error closed by its reader (`workflow --help | head -0`): Node.js ignores
 * SIGPIPE, so each write fails with EPIPE, and an unhandled `error` event printed a stack
 * trace. A closed stream is remembered instead and later writes to it are dropped; output
 * that must arrive before something is consumed (`mailbox recv`) is checked with `flushStream`.
 */
import { PlanspaceError } from '../errors.js';

/** The stream's reader is gone; what was written last may not have reached it. */
export class OutputClosedError extends PlanspaceError {
  constructor(stream: string, options?: ErrorOptions) {
    super(
      'E_OUTPUT_CLOSED',
      `could not write to ${stream} (EPIPE: its reader closed it); nothing was consumed`,
      options,
    );
  }
}

/** A process stream watched for its reader going away. */
export interface GuardedStream {
  /** True once a write failed because the reader is gone. */
  readonly closed: boolean;
  /** Stops watching (removes the `error` listener). */
  dispose(): void;
}

/** True for the errors of a write to a stream whose reader is gone. */
function isClosedError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * Watches `stream` for EPIPE. Any other `error` is rethrown, as Node.js would have.
 *
 * @returns the watch, whose `closed` says whether the reader went away.
 */
export function guardStream(stream: NodeJS.WritableStream): GuardedStream {
  const guard = {
    closed: false,
    dispose: () => {
      stream.off('error', onError);
    },
  };
  const onError = (error: unknown): void => {
    if (!isClosedError(error)) throw error;
    guard.closed = true;
  };
  stream.on('error', onError);
  return guard;
}

/**
 * Resolves once everything written to `stream` has been handed to the operating system.
 *
 * @param name - the stream's name for the error, e.g. `standard output`.
 * @throws {OutputClosedError} if the reader went away before it all was.
 */
export function flushStream(stream: NodeJS.WritableStream, guard: GuardedStream, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (guard.closed) {
      reject(new OutputClosedError(name));
      return;
    }
    stream.write('', (error) => {
      if (error === undefined || error === null) {
        if (guard.closed) reject(new OutputClosedError(name));
        else resolve();
      } else if (isClosedError(error)) reject(new OutputClosedError(name, { cause: error }));
      else reject(error);
    });
  });
}
