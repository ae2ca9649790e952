/**
 * A round's record as it changes (`record.ts` is its file format): each change is written
 * whole to `artifacts/step-N-candidates.json`, one write after another, so that the file
 * always holds a state the round was in, and the last write holds the last change.
 */
import type { CandidateEntry, CandidatesRecord } from './record.js';
import { writeCandidatesRecord } from './record.js';

/** A candidate's entry before it has ended: model and status only. */
export function startedEntry(k: number, model: string): CandidateEntry {
  return {
    k,
    model,
    status: 'running',
    verify: null,
    filesChanged: null,
    added: null,
    removed: null,
    durationMs: null,
    ref: null,
    summary: null,
    reason: null,
  };
}

/** The record of one round, written at each change. */
export class RoundLedger {
  #record: CandidatesRecord;
  readonly #artifacts: string;
  /** The writes in order (see the module comment). */
  #writes: Promise<void> = Promise.resolve();

  /** Starts the record of a round with no candidate yet; `write` writes it. */
  constructor(
    artifacts: string,
    start: Omit<CandidatesRecord, 'version' | 'candidates' | 'picked' | 'pickReason' | 'merged'>,
  ) {
    this.#artifacts = artifacts;
    this.#record = { version: 1, ...start, candidates: [], picked: null, pickReason: null, merged: false };
  }

  /** The record as it stands. */
  get record(): CandidatesRecord {
    return this.#record;
  }

  /** The entry of candidate `k`, if it has one. */
  entry(k: number): CandidateEntry | undefined {
    return this.#record.candidates.find((entry) => entry.k === k);
  }

  /**
   * Adds or replaces candidate `entry.k`'s entry (kept in k order) and writes the record.
   *
   * @throws the `fs` error of the write.
   */
  set(entry: CandidateEntry): Promise<void> {
    const others = this.#record.candidates.filter((each) => each.k !== entry.k);
    const candidates = [...others, entry].sort((a, b) => a.k - b.k);
    return this.#change({ candidates });
  }

  /**
   * Records the pick (`picked: null` for none) and writes the record: before any merge, so that
   * an engine taking over knows which candidate a merge found in the branch came from.
   *
   * @throws the `fs` error of the write.
   */
  pick(picked: number | null, reason: string): Promise<void> {
    return this.#change({ picked, pickReason: reason });
  }

  /**
   * Records that the picked candidate's work is merged, and writes the record.
   *
   * @throws the `fs` error of the write.
   */
  merged(): Promise<void> {
    return this.#change({ merged: true });
  }

  /**
   * Writes the record as it stands, after the writes before it.
   *
   * @throws the `fs` error of the write.
   */
  write(): Promise<void> {
    const write = this.#writes.then(() => writeCandidatesRecord(this.#artifacts, this.#record));
    // The next write goes on after a failed one; the failure is the caller's.
    this.#writes = write.catch(() => undefined);
    return write;
  }

  #change(change: Partial<CandidatesRecord>): Promise<void> {
    this.#record = { ...this.#record, ...change };
    return this.write();
  }
}
