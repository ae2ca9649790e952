/**
 * A tiny argument parser for the verbs called most, so that they run without loading
 * commander (most of the CLI's code, and most of a schedule verb's start-up time). It accepts
 * only what it fully understands (the verb's arguments in order, `--json`, and the verb's long
 * options, as `--name value` or `--name=value`, or a flag `--name`, or `--no-name`, which sets
 * `name` to false, and else to true; a repeatable option's values as a list) and parses it as
 * commander would. Anything
 * else (`--help`, `--`, a short or unknown option, a missing or extra argument) returns
 * undefined, and commander parses the call instead, with its own messages.
 */
import type { VerbSpec } from './verb.js';

/** What `parseVerbArgs` understood: commander's positional arguments and options. */
export interface ParsedArgs {
  readonly positional: readonly unknown[];
  readonly options: Readonly<Record<string, unknown>>;
}

/** A long option the parser knows: whether it takes a value, and its key in the options. */
interface KnownOption {
  readonly key: string;
  readonly takesValue: boolean;
  readonly required: boolean;
  /** Every value given is kept, in a list (`'repeatable'` in the spec). */
  readonly repeatable: boolean;
  /** The value a flag (an option without a value) sets: false for `--no-<name>`, as commander does. */
  readonly flagValue: boolean;
}

/** `--run-id` -> `runId`, as commander names option keys. */
function camelCase(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** The options of `spec` that this parser handles (`--name` and `--name <value>`), by flag; undefined if some other shape is declared. */
function knownOptions(spec: VerbSpec): Map<string, KnownOption> | undefined {
  const options = new Map<string, KnownOption>([
    ['--json', { key: 'json', takesValue: false, required: false, repeatable: false, flagValue: true }],
  ]);
  for (const [flags, , kind] of spec.options ?? []) {
    const match = /^(--[a-z][a-z0-9-]*)( <[^<>]+>)?$/.exec(flags);
    if (!match?.[1]) return undefined;
    const negated = match[1].startsWith('--no-') && match[2] === undefined;
    options.set(match[1], {
      key: camelCase(match[1].slice(negated ? 5 : 2)),
      takesValue: match[2] !== undefined,
      required: kind === 'required',
      repeatable: kind === 'repeatable' && match[2] !== undefined,
      flagValue: !negated,
    });
  }
  return options;
}

/**
 * Parses a verb's arguments (after the verb's name) as commander would.
 *
 * @param spec - the verb's spec: `usage` gives the arguments (`<x>` required, `[x]` optional,
 *   `[x...]` variadic, last), `options` the long options.
 * @returns the positional arguments (an optional one missing: undefined; a variadic one: an
 *   array) and options (boolean flags `true`, others their value), or undefined when the call
 *   is anything commander should parse itself.
 */
export function parseVerbArgs(spec: VerbSpec, args: readonly string[]): ParsedArgs | undefined {
  const known = knownOptions(spec);
  if (!known) return undefined;
  const slots = spec.usage.split(' ').slice(1);
  const options: Record<string, unknown> = {};
  // commander sets `name` to true when `--no-name` is not given.
  for (const option of known.values()) if (!option.flagValue) options[option.key] = true;
  const values: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-') || arg === '') {
      values.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const option = known.get(equals === -1 ? arg : arg.slice(0, equals));
    if (!option) return undefined;
    if (!option.takesValue) {
      if (equals !== -1) return undefined;
      options[option.key] = option.flagValue;
      continue;
    }
    let value: string | undefined;
    if (equals !== -1) value = arg.slice(equals + 1);
    else {
      i += 1;
      value = args[i];
      // A value that looks like an option is one of commander's corner cases: let it decide.
      if (value === undefined || value.startsWith('-')) return undefined;
    }
    options[option.key] = option.repeatable ? [...((options[option.key] as string[] | undefined) ?? []), value] : value;
  }
  for (const option of known.values()) if (option.required && !(option.key in options)) return undefined;
  const positional: unknown[] = [];
  for (const [index, slot] of slots.entries()) {
    if (slot.endsWith('...>') || slot.endsWith('...]')) {
      if (index !== slots.length - 1 || (slot.startsWith('<') && values.length === 0)) return undefined;
      positional.push(values.splice(0));
      continue;
    }
    const value = values.shift();
    if (value === undefined && slot.startsWith('<')) return undefined;
    positional.push(value);
  }
  return values.length === 0 ? { positional, options } : undefined;
}
