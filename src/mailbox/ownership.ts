/**
 * Who owns which message of a mailbox: the claims log (see `reader.ts`) applied record by
 * record. Every reader applies the records in log order by the same rules, so all agree:
 *
 * - a claim with `-` is valid if the message has no owner; a claim naming a previous owner
 *   (a takeover) is valid if that is still the owner and it has not acknowledged. A valid
 *   claim makes its writer the owner;
 * - an acknowledgement by the owner consumes the message for good;
 * - a record whose tag is not the journal's is ignored: it was written against a mailbox
 *   since removed by `cleanup` and created again.
 *
 * The state stays small: messages acknowledged above the settled mark (all acknowledged up to
 * it) are kept as runs (see `runs.ts`), so a message held for long by a live receiver leaves
 * one run behind it, not one entry per message that passes it.
 */
import { Runs } from './runs.js';

export class Ownership {
  /** Messages 1 to `settled` are all acknowledged. */
  settled = 0;
  /** Claimed messages not yet acknowledged: their owner, by sequence number. */
  held = new Map<number, string>();
  /** Acknowledged messages above `settled`. */
  acked = new Runs();

  /** The ownership a checkpoint recorded (see `checkpoint.ts`). */
  static from(
    settled: number,
    held: ReadonlyMap<number, string>,
    acked: readonly (readonly [number, number])[],
  ): Ownership {
    const ownership = new Ownership();
    ownership.settled = settled;
    ownership.held = new Map(held);
    ownership.acked = Runs.from(acked);
    return ownership;
  }

  /** How many entries the state holds: the size of its checkpoint. */
  get entries(): number {
    return this.held.size + this.acked.runCount;
  }

  /** Whether message `seq` is acknowledged. */
  isAcknowledged(seq: number): boolean {
    return seq <= this.settled || this.acked.has(seq);
  }

  /**
   * Applies one claims log record of the mailbox whose journal tag is `tag`.
   *
   * @param onAck - called with the sequence number of a message a valid record acknowledged.
   * @returns whether the record was valid.
   */
  apply(fields: readonly string[], tag: string | undefined, onAck: (seq: number) => void): boolean {
    const [kind, seq36 = '', owner = '', third, fourth] = fields;
    const seq = parseInt(seq36, 36);
    if ((kind === 'c' ? fourth : third) !== tag || tag === undefined || !(seq > this.settled)) return false;
    const holder = this.held.get(seq);
    if (kind === 'c') {
      const valid = third === '-' ? holder === undefined && !this.acked.has(seq) : holder === third;
      if (valid) this.held.set(seq, owner);
      return valid;
    }
    if (kind !== 'a' || holder !== owner) return false;
    this.held.delete(seq);
    this.acked.add(seq);
    onAck(seq);
    const run = this.acked.takeRunAt(this.settled + 1);
    if (run !== undefined) this.settled = run[1];
    return true;
  }

  /** The first message from `from` on that nobody claimed, or `total + 1` if none up to `total`. */
  firstUnclaimed(from: number, total: number): number {
    let seq = Math.max(from, this.settled + 1);
    while (seq <= total) {
      if (this.held.has(seq)) seq += 1;
      else {
        const end = this.acked.runEnd(seq);
        if (end === undefined) return seq;
        seq = end + 1;
      }
    }
    return seq;
  }

  /**
   * How many of messages 1 to `total` wait: unclaimed, or held by an owner `isAlive` says is
   * dead (they will be delivered again).
   */
  waiting(total: number, isAlive: (owner: string) => boolean): number {
    // Claims may run ahead of the journal as a reader knows it: count only messages up to `total`.
    let count = Math.max(0, total - this.settled - this.acked.countUpTo(total));
    for (const [seq, owner] of this.held) if (seq <= total && isAlive(owner)) count -= 1;
    return count;
  }

  /** Messages held by owners `isAlive` says are dead, oldest first. */
  orphans(isAlive: (owner: string) => boolean): [number, string][] {
    return [...this.held].filter(([, owner]) => !isAlive(owner)).sort(([a], [b]) => a - b);
  }
}
