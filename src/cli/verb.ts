/**
 * The shape every CLI verb shares: a commander command with `--json` and an example in its
 * help, whose handler returns what to print instead of printing it.
 */
import { Command } from 'commander';
import { UsageError } from '../errors.js';

/** What a verb prints: `text` by default, `json` (one document) with `--json`. */
export interface VerbOutput {
  readonly text: string;
  readonly json: unknown;
  /** Default 0. */
  readonly exitCode?: number;
  /** Notes for humans, printed to stderr in text mode. */
  readonly notes?: readonly string[];
}

/** Options every verb has. */
export interface CommonOptions {
  readonly json?: boolean;
}

/** Where a verb's output goes once its handler returns. */
export type Emit = (output: VerbOutput, options: CommonOptions) => void;

/** Describes a verb for `defineVerb`. */
export interface VerbSpec {
  /** Name and arguments in commander syntax, e.g. `done <planspace> [N]`. */
  readonly usage: string;
  readonly summary: string;
  /** Example lines shown after the options in `--help`. */
  readonly examples: readonly string[];
  /** Exit codes shown in `--help`, e.g. `1  no [run] step`. */
  readonly exitCodes?: readonly string[];
}

/**
 * Creates a commander command for a verb. `handler` gets the positional arguments and the
 * options; its output goes to `emit`.
 */
// A and O type the handler's arguments for each verb; that is their whole purpose.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function defineVerb<A extends unknown[], O extends CommonOptions>(
  spec: VerbSpec,
  emit: Emit,
  handler: (...args: [...A, O]) => Promise<VerbOutput> | VerbOutput,
): Command {
  const command = new Command().createCommand(spec.usage.split(' ')[0] ?? '');
  command
    .arguments(spec.usage.split(' ').slice(1).join(' '))
    .description(spec.summary)
    .option('--json', 'print one JSON document instead of text');
  const exits = [
    '0  success',
    ...(spec.exitCodes ?? []),
    '2  bad usage or bad input (reason on stderr); nothing written',
  ];
  command.addHelpText(
    'after',
    `\nExamples:\n${spec.examples.map((line) => `  ${line}`).join('\n')}\n\nExit codes:\n${exits.map((line) => `  ${line}`).join('\n')}\n`,
  );
  command.action(async (...args: unknown[]) => {
    // commander passes the positional arguments, then the options, then the command.
    const options = args[args.length - 2] as O;
    const positional = args.slice(0, -2) as A;
    emit(await handler(...positional, options), options);
  });
  return command;
}

/**
 * Parses a step number argument.
 *
 * @throws {UsageError} unless `text` is a positive whole number within the safe range.
 */
export function parseStepNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const number = Number(text);
  if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(number)) {
    throw new UsageError(`step number must be a positive whole number, got '${text}'`);
  }
  return number;
}
