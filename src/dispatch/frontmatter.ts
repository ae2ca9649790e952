/**
 * Reading an agent file's YAML frontmatter without loading the YAML parser when it need not be:
 * `workflow run` reads the exception handler's before its first dispatch, and the parser is the
 * largest module on that path (issue 11.4). Frontmatter made only of `key: plain text` lines,
 * as agent files are, is read here; anything else goes to the `yaml` package (`agent-file.ts`).
 */

/** YAML 1.2 core-schema words that are not strings (plus YAML 1.1's, to be safe). */
const NOT_STRINGS = /^(?:null|true|false|yes|no|on|off|y|n)$/i;

/**
 * A line `key: value` whose value YAML reads as exactly this string: it starts with a letter
 * (no indicator, no number), holds no `:` or `#` (no nested mapping, no comment) and no tab
 * or control character.
 */
const SIMPLE_LINE = /^([A-Za-z_][A-Za-z0-9_-]*): +([A-Za-z][^:#\p{Cc}\p{Cs}\uFFFE\uFFFF]*?) *$/u;

/**
 * The mapping of a frontmatter made only of `key: plain text` lines (blank lines allowed), or
 * undefined if it holds anything else. Where it returns a mapping, the `yaml` package returns
 * the same one.
 */
export function parseSimpleFrontmatter(text: string): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const match = SIMPLE_LINE.exec(line);
    const [, key = '', value = ''] = match ?? [];
    if (!match || NOT_STRINGS.test(key) || NOT_STRINGS.test(value) || Object.hasOwn(result, key)) return undefined;
    result[key] = value;
  }
  // Empty, YAML reads null, not a mapping.
  return Object.keys(result).length === 0 ? undefined : result;
}
