/**
 * Shell completion's logic: what may come next on a `workflow` command line. Pure but for the
 * lookups it is given (step numbers, open question ids), so the shell scripts of
 * `completion.ts` stay small and the verbs and options come from the commander program itself,
 * never from a list that could drift from it.
 */
import type { Command } from 'commander';
import { AGENT_CLIS } from '../dispatch/model-templates.js';
import { ATTRIBUTE_KEYS } from '../schedule/attributes.js';

/** One verb as completion sees it: its long options and its arguments, in order. */
export interface CompletionVerb {
  readonly name: string;
  /** Long options (`--id`), each with whether it takes a value. */
  readonly options: readonly { readonly flag: string; readonly takesValue: boolean }[];
  /** The argument names of its usage (`planspace`, `N`, `text`), the last maybe variadic. */
  readonly args: readonly { readonly name: string; readonly variadic: boolean }[];
  /** Verbs under this one (`workflow mailbox <verb>`). */
  readonly verbs: readonly CompletionVerb[];
}

/** Builds the completion model of a commander program (or group): its verbs, recursively. */
export function completionModel(command: Command): CompletionVerb {
  return {
    name: command.name(),
    options: command.options.flatMap((option) =>
      option.long === undefined ? [] : [{ flag: option.long, takesValue: option.required || option.optional }],
    ),
    args: command.registeredArguments.map((argument) => ({ name: argument.name(), variadic: argument.variadic })),
    verbs: command.commands.map(completionModel),
  };
}

/** The planspace facts completion offers, read on demand; each returns [] when it cannot tell. */
export interface CompletionLookups {
  /** The step numbers of the planspace's schedule. */
  readonly stepNumbers: (planspace: string) => Promise<readonly number[]>;
  /** The ids of the planspace's open questions. */
  readonly questionIds: (planspace: string) => Promise<readonly string[]>;
}

/** Tells the shell script to complete file names (`:files`) or folder names (`:dirs`) itself. */
export const FILES = ':files';
export const DIRS = ':dirs';

/** The shells `workflow completion` writes scripts for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Values of options and arguments that are not files, by their name in the usage. */
const VALUE_WORDS: Readonly<Record<string, readonly string[]>> = { shell: SHELLS, cli: AGENT_CLIS };

/** Values of options that are not files, by flag (`add --when`, `add --attr key=`). */
const OPTION_WORDS: Readonly<Record<string, readonly string[]>> = {
  '--when': ['success', 'failure', 'always'],
  '--attr': ATTRIBUTE_KEYS.map((key) => `${key}=`),
};

/** `--help` is every verb's, though commander adds it only when help is shown. */
function optionsOf(verb: CompletionVerb): { readonly flag: string; readonly takesValue: boolean }[] {
  return [...verb.options, { flag: '--help', takesValue: false }];
}

/**
 * The words that may replace the last of `words`.
 *
 * @param program - the `workflow` program's model (`completionModel`).
 * @param words - the command line after `workflow`, the last being the word being completed
 *   (`''` when the cursor stands after a space), e.g. `['done', './plan', '']`.
 * @returns candidates starting with that word, one per entry; or `[FILES]` / `[DIRS]` when
 *   the shell should complete a path; or none.
 */
export async function completeWords(
  program: CompletionVerb,
  words: readonly string[],
  lookups: CompletionLookups,
): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const starting = (candidates: readonly string[]): string[] =>
    candidates.filter((candidate) => candidate.startsWith(current));
  let verb = program;
  let rest = before;
  // Walk down the verbs named so far (`mailbox send`).
  while (rest.length > 0 && verb.verbs.length > 0) {
    const next = verb.verbs.find((each) => each.name === rest[0]);
    if (!next) return [];
    verb = next;
    rest = rest.slice(1);
  }
  if (verb.verbs.length > 0) {
    return starting(current.startsWith('-') ? optionsOf(verb).map((o) => o.flag) : verb.verbs.map((v) => v.name));
  }
  const positional: string[] = [];
  let pending: string | undefined;
  for (const word of rest) {
    if (pending !== undefined) pending = undefined;
    else if (word.startsWith('--') && !word.includes('=')) {
      pending = optionsOf(verb).find((option) => option.flag === word && option.takesValue)?.flag;
    } else if (!word.startsWith('-')) positional.push(word);
  }
  const planspace = verb.args[0]?.name === 'planspace' ? positional[0] : undefined;
  if (pending !== undefined) {
    if (pending === '--id') return planspace === undefined ? [] : starting(await lookups.questionIds(planspace));
    // `rollback --to N`, `add --after N` and `--needs N`: a step number.
    if (pending === '--to' || pending === '--after' || pending === '--needs')
      return planspace === undefined ? [] : starting((await lookups.stepNumbers(planspace)).map(String));
    const values = OPTION_WORDS[pending];
    if (values !== undefined) return starting(values);
    return [FILES];
  }
  if (current.startsWith('-')) return starting(optionsOf(verb).map((option) => option.flag));
  const last = verb.args.at(-1);
  const arg = verb.args[positional.length] ?? (last?.variadic === true ? last : undefined);
  if (arg === undefined) return [];
  if (arg.name === 'planspace') return [DIRS];
  if (arg.name === 'N' && planspace !== undefined) {
    return starting((await lookups.stepNumbers(planspace)).map(String));
  }
  const values = VALUE_WORDS[arg.name];
  return values === undefined ? [] : starting(values);
}
