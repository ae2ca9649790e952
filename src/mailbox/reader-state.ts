/**
 * What one reader knows of a mailbox (see `reader.ts`): the deliveries the journal made, who
 * owns which message (`ownership.ts`) and how many messages of each data file are
 * acknowledged, as a value that journal and claims log records change. It does no I/O: the
 * reader reads the logs and the checkpoint and feeds them in, and writes what `toCheckpoint`
 * returns.
 */
import type { Checkpoint } from './checkpoint.js';
import { MessageCorruptError } from './envelope.js';
import { decodeDelivery, type Delivery } from './journal.js';
import { Ownership } from './ownership.js';
import type { LogWindow } from './segments.js';

/**
 * How many messages of a data file the journal records read deliver, how many of them are
 * acknowledged, and their bytes (-1 if unknown).
 */
interface FileUse {
  frames: number;
  acked: number;
  bytes: number;
}

/** A reader's state after a prefix of the journal and of the claims log. */
export class ReaderState {
  /** The journal's tag: the id of its first message; undefined while it is empty. */
  tag: string | undefined;
  /** Journal records read: the highest sequence number known. */
  total = 0;
  /** Claims log records applied. */
  claimsRead = 0;
  /** Deliveries of messages not yet acknowledged, by sequence number. */
  readonly deliveries = new Map<number, Delivery>();
  /** Who owns which message. */
  ownership = new Ownership();
  /** No message below this one is unclaimed. */
  scanFrom = 1;
  /** Data files seen in the journal, by name. */
  readonly files = new Map<string, FileUse>();
  /** Data files whose messages are all acknowledged, to delete if their writer is dead. */
  readonly reclaimable = new Set<string>();
  /** Records (journal and claims log) covered by the last checkpoint read or written. */
  checkpointed = 0;

  /** The state of an empty journal tagged `tag`. */
  constructor(tag?: string) {
    this.tag = tag;
  }

  /** The state a checkpoint recorded. */
  static from(checkpoint: Checkpoint): ReaderState {
    const state = new ReaderState(checkpoint.tag);
    state.total = checkpoint.journal;
    state.claimsRead = checkpoint.claims;
    state.ownership = Ownership.from(checkpoint.settled, checkpoint.held, checkpoint.acked);
    state.scanFrom = checkpoint.settled + 1;
    for (const [seq, delivery] of checkpoint.deliveries) state.deliveries.set(seq, delivery);
    for (const [file, { frames, acked, bytes }] of checkpoint.files) state.files.set(file, { frames, acked, bytes });
    state.checkpointed = checkpoint.journal + checkpoint.claims;
    return state;
  }

  /** Journal and claims log records the state covers. */
  get covered(): number {
    return this.total + this.claimsRead;
  }

  /** How many entries the state holds: the size of its checkpoint. */
  get entries(): number {
    return this.deliveries.size + this.ownership.entries + this.files.size;
  }

  /** The checkpoint of this state (see `checkpoint.ts`); undefined while the journal is empty. */
  toCheckpoint(): Checkpoint | undefined {
    if (this.tag === undefined) return undefined;
    return {
      tag: this.tag,
      journal: this.total,
      claims: this.claimsRead,
      settled: this.ownership.settled,
      deliveries: this.deliveries,
      held: this.ownership.held,
      acked: this.ownership.acked.runs(),
      files: this.files,
    };
  }

  /**
   * Applies journal records that follow the last one read (`window` read from `total`).
   *
   * @param journal - the journal's path, for error messages.
   * @throws {MessageCorruptError} for a record that is not a delivery.
   */
  applyJournal(window: LogWindow, journal: string): void {
    for (const fields of window.records) {
      const seq = this.total + 1;
      const delivery = decodeDelivery(fields);
      if (delivery === undefined) {
        throw new MessageCorruptError(`${journal}:${seq}`, `not a delivery record: ${fields.join(' ')}`);
      }
      this.total = seq;
      const use = this.files.get(delivery.file) ?? { frames: 0, acked: 0, bytes: 0 };
      use.frames += 1;
      if (use.bytes >= 0) use.bytes += delivery.length;
      this.files.set(delivery.file, use);
      // The claims log may be ahead of this reader's journal: an acknowledgement already read.
      if (this.ownership.isAcknowledged(seq)) this.#consumed(delivery.file);
      else this.deliveries.set(seq, delivery);
    }
  }

  /**
   * Applies claims log records that follow the last one applied (`window` read from
   * `claimsRead`).
   *
   * @returns the outcome of record `index` (1-based), if among them: whether it was valid.
   */
  applyClaims(window: LogWindow, index?: number): boolean {
    let outcome = false;
    const first = window.total - window.records.length + 1;
    window.records.forEach((fields, i) => {
      const valid = this.ownership.apply(fields, this.tag, (seq) => {
        const delivery = this.deliveries.get(seq);
        if (delivery === undefined) return;
        this.deliveries.delete(seq);
        this.#consumed(delivery.file);
      });
      if (first + i === index) outcome = valid;
    });
    this.claimsRead = window.total;
    return outcome;
  }

  /** Marks every data file whose messages are all acknowledged as one to delete. */
  markReclaimable(): void {
    for (const [file, use] of this.files) if (use.acked === use.frames) this.reclaimable.add(file);
  }

  /** Counts an acknowledged message of a data file. */
  #consumed(file: string): void {
    const use = this.files.get(file);
    if (use === undefined) return;
    use.acked += 1;
    if (use.acked === use.frames) this.reclaimable.add(file);
  }
}
