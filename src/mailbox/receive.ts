/**
 * Blocking receive: wait for the next message of a mailbox without polling.
 *
 * A reader watches the mailbox's journal with chokidar and wakes on every raw file-system
 * event (chokidar's `change` event is throttled to one per 50 ms and would miss a burst of
 * sends; `raw` is not). A slow safety re-scan (default every second) covers the case where
 * the journal was replaced under the watcher, for instance by `cleanup`.
 */
import type { FSWatcher } from 'chokidar';
import { isErrno, PlanspaceError } from '../errors.js';
import { MailboxReader, type ClaimedMessage } from './reader.js';
import { ensureMailbox } from './folders.js';
import { mailboxPaths, type MailboxPaths } from './paths.js';

/** `receive` waited `timeoutMs` and no message came. */
export class ReceiveTimeoutError extends PlanspaceError {
  readonly timeoutMs: number;

  constructor(mailbox: string, timeoutMs: number) {
    super('E_TIMEOUT', `no message for ${mailbox} within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** Options of `receive` and `Inbox.next`. */
export interface ReceiveOptions {
  /** Give up after this many ms with `ReceiveTimeoutError`. Default: wait forever. */
  readonly timeoutMs?: number;
  /** Stop waiting when aborted; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * Acknowledge (delete) the message before returning it. Default true. With false, call
   * `message.ack()` once it is handled; if the process dies first, the message is delivered
   * again to the next receiver.
   */
  readonly ack?: boolean;
  /** Interval of the safety re-scan, in ms. Default 1000. */
  readonly rescanMs?: number;
}

/** An open reader of one mailbox. Close it when done: `close()` stops its watcher. */
export interface Inbox {
  /** Waits for and claims the next message. See `receive`. */
  next(options?: ReceiveOptions): Promise<ClaimedMessage>;
  /** Claims the next message if one is waiting, without waiting. */
  poll(options?: Pick<ReceiveOptions, 'ack'>): Promise<ClaimedMessage | undefined>;
  /** Stops the watcher and deletes the data files done with (see `MailboxReader.finish`). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a reader on a mailbox, creating the mailbox if needed, and starts watching it.
 *
 * @throws {UsageError} for a bad mailbox name, before any file is touched.
 * @throws the `fs` error if the planspace is missing or not writable.
 */
export async function openInbox(planspace: string, name: string): Promise<Inbox> {
  const paths = mailboxPaths(planspace, name);
  await ensureMailbox(planspace, paths);
  const { watch } = await import('chokidar');
  // Not waiting for the watcher to be ready (its first scan took a few ms of a run's start):
  // the inbox looks at the journal when it is, for what came before.
  const watcher = watch(paths.journal, { ignoreInitial: true, persistent: true });
  return new JournalInbox(paths, watcher);
}

class JournalInbox implements Inbox {
  readonly #paths: MailboxPaths;
  readonly #watcher: FSWatcher;
  readonly #reader: MailboxReader;
  readonly #waiters = new Set<() => void>();
  #dirty = false;
  #error: Error | undefined;

  constructor(paths: MailboxPaths, watcher: FSWatcher) {
    this.#paths = paths;
    this.#reader = new MailboxReader(paths);
    this.#watcher = watcher;
    watcher.on('raw', () => {
      this.#wake();
    });
    watcher.once('ready', () => {
      this.#wake();
    });
    watcher.on('error', (error) => {
      this.#error = error instanceof Error ? error : new Error(String(error));
      this.#wake();
    });
  }

  #eventSinceScan(): boolean {
    return this.#dirty;
  }

  #wake(): void {
    this.#dirty = true;
    for (const waiter of this.#waiters) waiter();
  }

  async poll(options: Pick<ReceiveOptions, 'ack'> = {}): Promise<ClaimedMessage | undefined> {
    const message = this.#reader.claimNext();
    if (message && options.ack !== false) await message.ack();
    return message;
  }

  async next(options: ReceiveOptions = {}): Promise<ClaimedMessage> {
    const { timeoutMs, signal, rescanMs = 1000 } = options;
    // A busy mailbox usually has a message waiting: take it before setting up any waiting.
    signal?.throwIfAborted();
    const waiting = await this.poll(options);
    if (waiting) return waiting;
    // One controller settles every wait: a message, the timeout, or the caller's abort.
    const race = new AbortController();
    const stop = (): void => {
      race.abort();
    };
    signal?.addEventListener('abort', stop, { once: true });
    const state = { timedOut: false };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            state.timedOut = true;
            race.abort();
          }, timeoutMs);
    try {
      for (;;) {
        signal?.throwIfAborted();
        if (state.timedOut) throw new ReceiveTimeoutError(this.#paths.name, timeoutMs ?? 0);
        if (this.#error !== undefined) throw this.#error;
        // Events during the scan set #dirty again: scan once more rather than wait.
        this.#dirty = false;
        const message = await this.poll(options);
        if (message) return message;
        if (!this.#eventSinceScan()) await this.#waitForEvent(race.signal, rescanMs);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    }
  }

  /** Resolves on the next watcher event, after `rescanMs`, or when `signal` aborts. */
  #waitForEvent(signal: AbortSignal, rescanMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, rescanMs);
      signal.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
      if (signal.aborted) done();
    });
  }

  async close(): Promise<void> {
    for (const waiter of this.#waiters) waiter();
    await this.#watcher.close();
    try {
      this.#reader.finish();
    } catch (error) {
      // A mailbox removed meanwhile has no files left to delete.
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }
}

/**
 * Waits for the next message of a mailbox and claims it: exactly one receiver gets each
 * message, in the order the sends completed.
 *
 * @param planspace - the planspace folder.
 * @param name - the mailbox name.
 * @param options - timeout (ms), abort signal, acknowledgement (default: acknowledge before
 *   returning).
 * @returns the message: envelope, sequence number and body bytes.
 * @throws {ReceiveTimeoutError} after `timeoutMs` without a message.
 * @throws the signal's reason when `signal` aborts.
 * @throws {UsageError} for a bad mailbox name, before any file is touched.
 */
export async function receive(planspace: string, name: string, options: ReceiveOptions = {}): Promise<ClaimedMessage> {
  const inbox = await openInbox(planspace, name);
  try {
    return await inbox.next(options);
  } finally {
    await inbox.close();
  }
}

/**
 * Iterates over a mailbox's messages as they arrive, with one watcher for the whole
 * iteration; stop with `signal` or by leaving the loop.
 *
 * @example
 * ```ts
 * for await (const message of messages(planspace, 'orchestrator', { signal })) {
 *   handle(message.body.toString());
 * }
 * ```
 */
export async function* messages(
  planspace: string,
  name: string,
  options: Omit<ReceiveOptions, 'timeoutMs'> = {},
): AsyncGenerator<ClaimedMessage, void, undefined> {
  const inbox = await openInbox(planspace, name);
  try {
    for (;;) yield await inbox.next(options);
  } finally {
    await inbox.close();
  }
}
