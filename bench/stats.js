// Statistics the benchmark scripts share: quantiles of samples, a random order of the things
// measured in each round (so that none is always measured first), and the gaps between a run's
// steps read from its events.jsonl.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The `q` quantile (0 to 1) of `sorted`, ascending: the sample at rank floor(q * n).
 * @param {number[]} sorted
 * @param {number} q
 */
export function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * The count, 10th, 50th (median) and 90th percentiles of `values` (any order).
 * @param {number[]} values
 * @returns {{ n: number, p10: number, p50: number, p90: number }}
 */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p10: quantile(sorted, 0.1), p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

/**
 * The median (rank floor(n / 2), see `quantile`), least and greatest of `values` (any order).
 * @param {number[]} values
 * @returns {{ median: number, min: number, max: number }}
 */
export function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * A random order of `items` (Fisher-Yates).
 * @template T
 * @param {readonly T[]} items
 * @returns {T[]}
 */
export function shuffled(items) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/**
 * The dispatches of a run and the gaps between steps, from its `events.jsonl`: the time (ms,
 * 1 ms resolution) of each `dispatched` in order, and for each dispatch after the first, the
 * ms from the `done` of the step dispatched before it.
 * @param {string} planspace - the run's planspace.
 * @param {number} steps - how many steps the run ran.
 * @returns {{ dispatched: { step: number, time: number }[], gaps: number[] }}
 * @throws {Error} unless there are `steps` dispatches and `steps` steps done.
 */
export function dispatchGaps(planspace, steps) {
  const events = readFileSync(join(planspace, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
  const dispatched = [];
  const done = new Map();
  for (const event of events) {
    if (event.event === 'dispatched') dispatched.push({ step: event.step, time: Date.parse(event.time) });
    if (event.event === 'done') done.set(event.step, Date.parse(event.time));
  }
  if (dispatched.length !== steps || done.size !== steps) {
    throw new Error(`${planspace}/events.jsonl: ${dispatched.length} dispatches, ${done.size} done of ${steps}`);
  }
  const gaps = [];
  for (let i = 1; i < dispatched.length; i += 1) gaps.push(dispatched[i].time - done.get(dispatched[i - 1].step));
  return { dispatched, gaps };
}
