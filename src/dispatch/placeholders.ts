/**
 * Placeholders in a model file's `args` and `env` values, filled in at each dispatch, so that a
 * model file can say what only the run knows: `--add-dir {planspace}` (Codex writes nowhere else
 * than its workspace without it). Pure functions of strings.
 *
 * The grammar is that of Python's `str.format` without its format specs: `{name}` is a
 * placeholder, `{{` is a literal `{`, `}}` a literal `}`, and any other brace is an error. Strict
 * on purpose: a lenient reading would turn the `}}` of inline JSON (`{"a": {"b": 1}}`) into `}`
 * without a word; this one refuses it when the file is read, saying to double the braces.
 */

/**
 * The placeholders a model file may use, each with what it becomes. For the exception handler,
 * `{step}` is the failed step's number and `{prompt_file}` its own prompt.
 */
export const PLACEHOLDERS = {
  planspace: 'the planspace folder (absolute)',
  codespace: 'the codespace folder, where the agent runs (absolute)',
  step: 'the step number',
  run_id: "the dispatch's run id (as WORKFLOW_RUN_ID)",
  prompt_file: 'the prompt file (absolute): artifacts/<stem>-attempt-K-prompt.md',
} as const;

/** One placeholder's name. */
export type PlaceholderName = keyof typeof PLACEHOLDERS;

/** What each placeholder becomes in one dispatch. */
export type PlaceholderValues = Readonly<Record<PlaceholderName, string>>;

/** A `{`, `}`, `{{`, `}}` or `{name}` (name: anything up to the next brace, checked later). */
const TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;

/**
 * Why `text` is not a valid placeholder template, or undefined when it is.
 *
 * @returns e.g. `unknown placeholder {plan} (known: {planspace}, ...)` or `a lone '}' at
 *   character 7 (write }} for a literal brace)`.
 */
export function placeholderProblem(text: string): string | undefined {
  for (const match of text.matchAll(TOKEN)) {
    const [token, name] = match;
    if (token === '{{' || token === '}}') continue;
    if (name === undefined) {
      return `a lone '${token}' at character ${String(match.index + 1)} (write ${token}${token} for a literal brace)`;
    }
    if (!Object.hasOwn(PLACEHOLDERS, name)) {
      const known = Object.keys(PLACEHOLDERS)
        .map((key) => `{${key}}`)
        .join(', ');
      return `unknown placeholder {${name}} (known: ${known}; write {{ and }} for literal braces)`;
    }
  }
  return undefined;
}

/**
 * Fills in the placeholders of `text`: `{planspace}` becomes `values.planspace`, `{{` becomes `{`
 * and `}}` becomes `}`. A value is inserted as it is (never read again for placeholders).
 *
 * @param text - a template that `placeholderProblem` accepted; any other brace is kept as it is.
 */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  // Most arguments have no brace at all: spare them the regular expression.
  if (!text.includes('{') && !text.includes('}')) return text;
  return text.replace(TOKEN, (token, name: string | undefined) => {
    if (token === '{{') return '{';
    if (token === '}}') return '}';
    if (name !== undefined && Object.hasOwn(values, name)) return values[name as PlaceholderName];
    return token;
  });
}
