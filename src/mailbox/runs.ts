/**
 * A set of sequence numbers kept as runs of consecutive numbers: the messages acknowledged
 * above the settled mark. Messages are mostly acknowledged in order, so one message held for
 * long by a live receiver leaves one run behind it however many pass meanwhile, not an entry
 * per message.
 */
export class Runs {
  /** Disjoint, non-adjacent `[from, to]` runs in increasing order. */
  #runs: [number, number][] = [];
  #size = 0;

  /** Builds a set from `[from, to]` runs (any order; overlapping or adjacent ones merge). */
  static from(runs: readonly (readonly [number, number])[]): Runs {
    const set = new Runs();
    const sorted = runs.filter(([from, to]) => from <= to).sort(([a], [b]) => a - b);
    for (const [from, to] of sorted) {
      const last = set.#runs.at(-1);
      if (last !== undefined && from <= last[1] + 1) {
        const end = Math.max(last[1], to);
        set.#size += end - last[1];
        last[1] = end;
      } else {
        set.#runs.push([from, to]);
        set.#size += to - from + 1;
      }
    }
    return set;
  }

  /** How many numbers the set holds. */
  get size(): number {
    return this.#size;
  }

  /** How many runs the set holds: the size of its stored form. */
  get runCount(): number {
    return this.#runs.length;
  }

  /** The runs, `[from, to]`, in increasing order. */
  runs(): readonly (readonly [number, number])[] {
    return this.#runs;
  }

  /** Index of the last run starting at or before `seq`, or -1. */
  #find(seq: number): number {
    let low = 0;
    let high = this.#runs.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((this.#runs[middle]?.[0] ?? 0) <= seq) low = middle + 1;
      else high = middle - 1;
    }
    return high;
  }

  /** The last number of the run holding `seq`, or undefined if `seq` is not in the set. */
  runEnd(seq: number): number | undefined {
    const run = this.#runs[this.#find(seq)];
    return run !== undefined && seq <= run[1] ? run[1] : undefined;
  }

  has(seq: number): boolean {
    return this.runEnd(seq) !== undefined;
  }

  /** Adds `seq`; returns false if it was there already. */
  add(seq: number): boolean {
    const at = this.#find(seq);
    const before = this.#runs[at];
    if (before !== undefined && seq <= before[1]) return false;
    const after = this.#runs[at + 1];
    const joinsBefore = before !== undefined && before[1] === seq - 1;
    const joinsAfter = after !== undefined && after[0] === seq + 1;
    if (joinsBefore && joinsAfter) {
      before[1] = after[1];
      this.#runs.splice(at + 1, 1);
    } else if (joinsBefore) before[1] = seq;
    else if (joinsAfter) after[0] = seq;
    else this.#runs.splice(at + 1, 0, [seq, seq]);
    this.#size += 1;
    return true;
  }

  /** How many numbers of the set are at most `limit`. */
  countUpTo(limit: number): number {
    let count = 0;
    for (const [from, to] of this.#runs) {
      if (from > limit) break;
      count += Math.min(to, limit) - from + 1;
    }
    return count;
  }

  /** Removes and returns the first run if it starts at `seq`. */
  takeRunAt(seq: number): readonly [number, number] | undefined {
    const first = this.#runs[0];
    if (first === undefined || first[0] !== seq) return undefined;
    this.#runs.shift();
    this.#size -= first[1] - first[0] + 1;
    return first;
  }

  clear(): void {
    this.#runs = [];
    this.#size = 0;
  }
}
