/**
 * The planner's answer (`workflow run --goal`): the last non-empty line of its output, which
 * must be `SELECT: <numbers>` (comma or space separated step numbers) or `SELECT: none <reason>`.
 * Pure.
 */

/** What the planner chose, or why its answer is no choice. */
export type PlannerAnswer =
  | { readonly kind: 'select'; readonly steps: readonly number[]; readonly line: string }
  | { readonly kind: 'none'; readonly reason: string; readonly line: string }
  | { readonly kind: 'invalid'; readonly line: string };

/**
 * Reads the planner's answer from its output: the last non-empty line, trimmed. Step numbers
 * are positive whole numbers, repeated ones counted once, in the order given. Anything else
 * (`SELECT:` with no number, `SELECT: 3 and 4`, `select: 3`, prose, no output) is `invalid`:
 * a planner that did not answer in the format must not start work by a guess.
 */
export function parsePlannerAnswer(output: string): PlannerAnswer {
  const lines = output.split(/\r?\n/).filter((text) => text.trim() !== '');
  const line = (lines.at(-1) ?? '').trim();
  const none = /^SELECT:\s*none(?:\s+(.*))?$/.exec(line);
  if (none) return { kind: 'none', reason: (none[1] ?? '').trim(), line };
  const numbers = /^SELECT:\s*(\d+(?:\s*[,\s]\s*\d+)*)\s*,?$/.exec(line);
  if (!numbers) return { kind: 'invalid', line };
  const steps = [...new Set((numbers[1] ?? '').split(/[\s,]+/).map(Number))];
  if (steps.some((n) => !Number.isSafeInteger(n) || n < 1)) return { kind: 'invalid', line };
  return { kind: 'select', steps, line };
}
