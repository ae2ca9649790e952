/**
 * Claiming messages: exactly one receiver wins each message, and a message whose claimer
 * died before acknowledging it is claimed again by the next receiver (at-least-once).
 *
 * Claims are records in the mailbox's claims log (a record log, see `records.ts`):
 *
 * ```text
 * c <seq base 36> <owner> <previous owner or -> <journal tag>    a claim
 * a <seq base 36> <owner> <journal tag>                          an acknowledgement
 * ```
 *
 * The owner is the claiming process's key (see `identity.ts`); the journal tag is the id of
 * the journal's first message, which names this incarnation of the mailbox. Every reader
 * applies the records in log order by the same rules (see `ownership.ts`), so all agree on
 * who owns what.
 *
 * A receiver claims by appending a claim and reading the log up to it: if its claim is valid
 * where it landed, it won. It takes over claims whose owner's pid is dead (zombies count as
 * dead), oldest first. Nothing here creates or renames a file: on a busy mailbox that costs
 * more than everything else.
 *
 * Data files are deleted once every message stored in them is acknowledged and their writer
 * is dead (see `reclaim.ts`).
 *
 * What a reader knows is a `ReaderState` (see `reader-state.ts`), which the records change. A
 * reader starts from the mailbox's checkpoint (see `checkpoint.ts`, `reader-checkpoint.ts`),
 * the state after a prefix of both logs, and reads only what follows it: what `check` and
 * `recv` cost does not grow with the history of the mailbox. Nor with its backlog: a reader
 * reads the journal only `READ_AHEAD` records past the first message it may claim (going
 * straight to the segment that holds it), and counts the waiting messages from the journal's
 * current segment, so that a receive with 100,000 messages waiting costs what one with 10 does.
 * Readers write the checkpoint as they go: once they have read `CHECKPOINT_RECORDS` records
 * past the last one (or as many records as the state has entries, whichever is more, so that
 * writing it costs O(1) per record), and, with a smaller threshold, when they find nothing
 * waiting. Having written one, a reader deletes the older checkpoints and the log segments that
 * the two it keeps both cover (see `segments.ts`); a reader left behind by deleted segments
 * starts again from the newest checkpoint.
 */
import { isErrno } from '../errors.js';
import { faultPoint } from '../fault.js';
import { readDelivered } from './data.js';
import { MessageCorruptError, type Message } from './envelope.js';
import { assertMailboxFolders } from './folders.js';
import { isOwnerAlive, pidOfKey, PROCESS_KEY } from './identity.js';
import { isProcessAlive } from './liveness.js';
import type { MailboxPaths } from './paths.js';
import { checkpointIfDue, restoreState } from './reader-checkpoint.js';
import { ReaderState } from './reader-state.js';
import { reclaimDataFiles } from './reclaim.js';
import { encodeRecord } from './records.js';
import { appendAndRead, GONE, readLog, SEGMENT_RECORDS, type LogWindow } from './segments.js';

/** A claimed message: acknowledge it once handled, or it is delivered again after this process dies. */
export interface ClaimedMessage extends Message {
  /** Records that the message is consumed. Idempotent. */
  ack(): Promise<void>;
}

/** How often a busy reader looks for claims left by dead receivers, in ms. */
const ORPHAN_SCAN_MS = 1000;

/** Records read past the last checkpoint (journal and claims log together) that make a new one due. */
export const CHECKPOINT_RECORDS = 256;

/** The same, for a reader that has just found nothing waiting: the next reader will start here. */
const IDLE_CHECKPOINT_RECORDS = 16;

/** Journal records a reader reads past the first message it may claim, at most. */
const READ_AHEAD = 64;

/**
 * One reader's view of a mailbox: what the journal delivered and who owns what, read
 * incrementally from the journal and the claims log. Keep one per reader across claims; it
 * claims through `claimNext`.
 */
export class MailboxReader {
  readonly #paths: MailboxPaths;
  /** What the logs read so far say (see `reader-state.ts`). */
  #state = new ReaderState();
  /** When claims of dead receivers were last looked for, in ms since the epoch. */
  #orphansCheckedAt = 0;
  /** Whether the checkpoint was looked for since the journal was last found new. */
  #restored = false;
  /** Whether the last read of the journal reached its end. */
  #readToEnd = false;
  /**
   * Data files whose writer was found alive since the last look for orphans (see
   * `#isWriterAlive`).
   */
  readonly #writersAlive = new Set<string>();

  constructor(paths: MailboxPaths) {
    this.#paths = paths;
  }

  /** Reads what the journal and the claims log gained since the last call. */
  refresh(): void {
    this.#readJournal(() => this.#wanted());
    this.#state.applyClaims(this.#readFrom(this.#paths.claims, () => this.#state.claimsRead));
    this.#reclaim();
    this.#checkpointIfDue(CHECKPOINT_RECORDS);
  }

  /**
   * How many messages wait: delivered and unclaimed, or claimed by a receiver that died
   * without acknowledging (they will be delivered again). Call `refresh` first.
   */
  pending(): number {
    return this.#state.ownership.waiting(this.#journalEnd(), isOwnerAlive());
  }

  /** How many records the journal holds, from its current segment alone. */
  #journalEnd(): number {
    const window = readLog(this.#paths.journal, Number.MAX_SAFE_INTEGER);
    if (window === GONE || window.tag !== this.#state.tag) return this.#state.total;
    return Math.max(window.total, this.#state.total);
  }

  /**
   * How far the journal is worth reading: `READ_AHEAD` past the first message that may be
   * unclaimed, once fewer than half that many records are read past it, and no further until
   * then. Receivers so read the journal in batches, not one or two records per claim: each read
   * opens the journal, and a reader behind the writer's segment opens an older one too.
   */
  #wanted(): number {
    const first = Math.max(this.#state.scanFrom, this.#state.ownership.settled + 1);
    return this.#state.total - first >= READ_AHEAD / 2 ? this.#state.total : first + READ_AHEAD;
  }

  /**
   * Claims the next message: any claim left by a dead receiver (looked for on a reader's first
   * call, then at most once a second, and whenever nothing else is waiting), then the first
   * delivered, unclaimed message in journal order.
   *
   * @returns the claimed message, or undefined if none is waiting.
   * @throws {MessageCorruptError} for a journal record or message planspace did not write.
   * @throws the `fs` error for anything but a mailbox removed meanwhile.
   */
  claimNext(): ClaimedMessage | undefined {
    this.refresh();
    const now = Date.now();
    const orphansDue = now - this.#orphansCheckedAt >= ORPHAN_SCAN_MS;
    if (orphansDue) {
      const orphan = this.#claimOrphan(now);
      if (orphan) return orphan;
    }
    for (;;) {
      const state = this.#state;
      state.scanFrom = state.ownership.firstUnclaimed(state.scanFrom, state.total);
      const seq = state.scanFrom;
      if (seq > state.total) {
        if (this.#readToEnd) break;
        this.#readJournal(() => seq + READ_AHEAD);
        continue;
      }
      const outcome = this.#claim(seq, '-');
      if (outcome === 'won') return this.#open(seq);
      // The mailbox was removed and created again: the next call starts over.
      if (outcome === 'stale') return undefined;
    }
    const orphan = orphansDue ? undefined : this.#claimOrphan(now);
    if (orphan === undefined) this.#checkpointIfDue(IDLE_CHECKPOINT_RECORDS);
    return orphan;
  }

  /** Forgets everything: the journal is new (or gone). */
  #reset(tag: string | undefined): void {
    this.#state = new ReaderState(tag);
    this.#restored = false;
  }

  /** Starts from the mailbox's newest usable checkpoint (see `restoreState`), if there is one. */
  #restore(): void {
    this.#restored = true;
    this.#state = restoreState(this.#paths) ?? this.#state;
  }

  /**
   * Reads a log after record `from()`. A reader that lags behind records deleted since (see
   * `collectSegments`) starts again from the newest checkpoint, which covers them.
   *
   * @throws {MessageCorruptError} if records were deleted that no checkpoint covers.
   */
  #readFrom(log: string, from: () => number, limit?: () => number): LogWindow {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const window = readLog(log, from(), limit?.());
      if (window !== GONE) return window;
      this.#reset(this.#state.tag);
      this.#restore();
      if (log !== this.#paths.journal) this.#readJournal(() => this.#wanted());
    }
    throw new MessageCorruptError(`${log}:${from() + 1}`, 'records were deleted that no checkpoint covers');
  }

  #checkpointIfDue(threshold: number): void {
    checkpointIfDue(this.#paths, this.#state, threshold);
  }

  /**
   * Reads the journal up to record `target()` (default: its end), no further: a reader far
   * behind a large backlog holds only the deliveries near the messages it claims. `target` is
   * asked after the checkpoint is restored.
   */
  #readJournal(target = (): number => Number.POSITIVE_INFINITY): void {
    if (!this.#restored) this.#restore();
    const from = (): number => this.#state.total;
    const limit = (): number => target() - this.#state.total;
    let window = this.#readFrom(this.#paths.journal, from, limit);
    while (window.tag !== this.#state.tag) {
      this.#reset(window.tag);
      this.#restore();
      window = this.#readFrom(this.#paths.journal, from, limit);
    }
    this.#readToEnd = window.records.length < limit();
    this.#state.applyJournal(window, this.#paths.journal);
  }

  /** Deletes the data files that are done with (see `reclaimDataFiles`). */
  #reclaim(): void {
    reclaimDataFiles(
      this.#paths.data,
      () => this.#state,
      () => {
        if (this.#journalEnd() - this.#state.total > SEGMENT_RECORDS) return false;
        this.#readJournal();
        return this.#readToEnd;
      },
      (file) => this.#isWriterAlive(file),
    );
  }

  /**
   * Whether a data file's writer is alive, remembered when it is until the next look for
   * orphans (at most `ORPHAN_SCAN_MS` later for a busy reader, and whenever it finds nothing
   * waiting). A reader reads the journal only a little ahead, so a live sender's file often has
   * all the messages read of it acknowledged: asking the system each time (a signal and a read
   * of /proc) cost about one question per message received. A writer that dies meanwhile has
   * its file deleted at that next look rather than at once.
   */
  #isWriterAlive(file: string): boolean {
    if (this.#writersAlive.has(file)) return true;
    const alive = isProcessAlive(pidOfKey(file));
    if (alive) this.#writersAlive.add(file);
    return alive;
  }

  /**
   * Deletes the data files this reader may delete now, asking the system afresh whether their
   * writers live: a writer remembered alive (see `#isWriterAlive`) that has died since leaves no
   * file behind when the reader stops. Call it when done reading; calling it again is cheap.
   *
   * @throws the `fs` error for anything but files deleted meanwhile.
   */
  finish(): void {
    if (this.#writersAlive.size === 0) return;
    this.#writersAlive.clear();
    this.#state.markReclaimable();
    this.#reclaim();
  }

  /**
   * Appends a claim of message `seq` (taking it over from `previous`, or `-`) and reads the
   * log up to it: `won` if the claim was valid where it landed, `lost` if not, `stale` if the
   * mailbox was removed meanwhile.
   */
  #claim(seq: number, previous: string): 'won' | 'lost' | 'stale' {
    const fields = ['c', seq.toString(36), PROCESS_KEY, previous, this.#state.tag ?? '-'];
    let appended: { index: number; window: LogWindow };
    try {
      appended = this.#appendClaim(encodeRecord(fields));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return 'stale';
      throw error;
    }
    const { index, window } = appended;
    const first = window.total - window.records.length + 1;
    if (index < first) {
      // This reader fell behind deleted segments and started again from a checkpoint, which
      // covers the claim already: the ownership it restored tells the outcome.
      this.#state.applyClaims(window);
      this.#reclaim();
      return this.#state.ownership.held.get(seq) === PROCESS_KEY ? 'won' : 'lost';
    }
    // Another record in its place: the mailbox was removed and created again meanwhile.
    if (window.records[index - first]?.join(' ') !== fields.join(' ')) return 'stale';
    const won = this.#state.applyClaims(window, index);
    this.#reclaim();
    return won ? 'won' : 'lost';
  }

  /** Takes over the oldest claim whose owner died, if there is one; reclaims dead writers' files. */
  #claimOrphan(now: number): ClaimedMessage | undefined {
    this.#orphansCheckedAt = now;
    this.#writersAlive.clear();
    this.#state.markReclaimable();
    this.#reclaim();
    const state = this.#state;
    for (const [seq, owner] of state.ownership.orphans(isOwnerAlive())) {
      // Its claimer read the journal further than this reader may have.
      if (seq > state.total) this.#readJournal(() => seq);
      if (this.#state !== state) return undefined;
      const outcome = this.#claim(seq, owner);
      if (outcome === 'won') return this.#open(seq);
      if (outcome === 'stale') return undefined;
    }
    return undefined;
  }

  /** Reads a message this reader has just claimed. */
  #open(seq: number): ClaimedMessage {
    faultPoint('mailbox-after-claim');
    const delivery = this.#state.deliveries.get(seq);
    if (delivery === undefined) throw new Error(`${this.#paths.journal}: no delivery for claimed message ${seq}`);
    const message = readDelivered(this.#paths.data, delivery, seq);
    const tag = this.#state.tag ?? '-';
    let acked = false;
    return {
      ...message,
      ack: () => {
        if (!acked) {
          acked = true;
          this.#ack(seq, tag);
        }
        return Promise.resolve();
      },
    };
  }

  /** Appends a claims log record; returns its number and the log read from this reader's place. */
  #appendClaim(record: Buffer): { index: number; window: LogWindow } {
    const { number, window } = appendAndRead(this.#paths.claims, record, this.#state.claimsRead);
    return {
      index: number,
      window: window === GONE ? this.#readFrom(this.#paths.claims, () => this.#state.claimsRead) : window,
    };
  }

  #ack(seq: number, tag: string): void {
    const record = encodeRecord(['a', seq.toString(36), PROCESS_KEY, tag]);
    try {
      this.#state.applyClaims(this.#appendClaim(record).window);
    } catch (error) {
      // A mailbox removed meanwhile has nothing left to acknowledge.
      if (isErrno(error, 'ENOENT')) return;
      throw error;
    }
    this.#reclaim();
  }
}

/**
 * Claims every message waiting in a mailbox, without waiting for more.
 *
 * @returns the claimed messages in sequence order, not yet acknowledged.
 * @throws {UnsafePathError} as `assertMailboxFolders`.
 */
export function claimAll(paths: MailboxPaths): ClaimedMessage[] {
  assertMailboxFolders(paths);
  const reader = new MailboxReader(paths);
  const claimed: ClaimedMessage[] = [];
  for (let message = reader.claimNext(); message; message = reader.claimNext()) claimed.push(message);
  return claimed.sort((a, b) => a.seq - b.seq);
}
