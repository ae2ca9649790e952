/**
 * The values of `outputs:` (issue 21): a path or glob relative to the unit's working tree,
 * checked when the schedule is parsed, so a step can never name a file outside its tree. Pure.
 */
import type { AttributeValueProblem } from '../schedule/attributes.js';

/**
 * Checks one `outputs:` value: a path or glob relative to the unit's working tree (the
 * codespace, or the unit's worktree under isolation).
 *
 * Refused: nothing; control characters (other than a tab); an absolute path (`/x`, `\x`,
 * `C:\x`) or one from a home folder (`~/x`), which the engine would not expand; a `..`
 * segment, which could leave the tree; a negated glob (`!x`), which would match everything
 * else; and a path that names the tree itself (`.`, `./`).
 *
 * @param value - the value, trimmed.
 * @returns undefined for a usable value, else what was expected, what was found and where.
 */
export function checkOutputPattern(value: string): AttributeValueProblem | undefined {
  const expected = "a path or glob inside the working tree, such as 'dist/app.js' or 'docs/*.md'";
  if (value === '') return { expected, found: 'nothing', at: 0 };
  // eslint-disable-next-line no-control-regex
  const control = /[\x00-\x08\x0a-\x1f\x7f]/.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, '0');
    return { expected: 'a path without control characters', found: `\\x${code}`, at: control.index };
  }
  if (/^([/\\~]|[A-Za-z]:)/.test(value)) return { expected, found: `the absolute path '${value}'`, at: 0 };
  if (value.startsWith('!')) return { expected, found: `the negated glob '${value}'`, at: 0 };
  let at = 0;
  for (const segment of value.split(/[/\\]/)) {
    if (segment === '..') return { expected, found: `'..', which leaves the working tree`, at };
    at += segment.length + 1;
  }
  if (value.split(/[/\\]/).every((segment) => segment === '' || segment === '.')) {
    return { expected, found: `'${value}', the working tree itself`, at: 0 };
  }
  return undefined;
}
