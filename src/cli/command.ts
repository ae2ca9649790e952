/**
 * A verb as a commander command, for `--help`, usage errors and the verbs `fast-argv.ts` does
 * not parse. Loaded only then: commander is most of the CLI's code.
 */
import { Command } from 'commander';
import type { VerbDefinition, VerbOptions } from './verb.js';

/** Help fits an 80-column terminal (commander wraps its own parts to this width). */
export const HELP_WIDTH = 80;

/**
 * Wraps `line` at spaces into lines of at most `width` characters, the later ones starting
 * with `indent`; a word longer than the width stays whole.
 */
export function wrapHanging(line: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    const next = current === '' ? word : `${current} ${word}`;
    if (next.length > width && current.trim() !== '') {
      lines.push(current);
      current = `${indent}${word}`;
    } else current = next;
  }
  lines.push(current);
  return lines;
}

/** Adds a repeatable option's value to the values given before it (commander's option parser). */
function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The commander command of a verb: its arguments, `--json`, its options, and its help text. */
export function toCommand(verb: VerbDefinition): Command {
  const { spec } = verb;
  const [name = '', ...args] = spec.usage.split(' ');
  const command = new Command(name)
    .description(spec.summary)
    .option('--json', 'print one JSON document instead of text');
  // Not for a verb without arguments (`models list`): commander reads '' as one unnamed argument.
  if (args.length > 0) command.arguments(args.join(' '));
  for (const [flags, description, kind] of spec.options ?? []) {
    if (kind === 'required') command.requiredOption(flags, description);
    else if (kind === 'repeatable') command.option(flags, description, collect);
    else command.option(flags, description);
  }
  // A verb that says more about its exit 2 says it in place of the common line, not beside it.
  const own = spec.exitCodes ?? [];
  const exits = [
    '0  success',
    ...own,
    ...(own.some((line) => line.startsWith('2 '))
      ? []
      : ['2  bad usage or bad input (reason on stderr); nothing written']),
  ];
  const exitLines = exits.flatMap((line) => wrapHanging(line, HELP_WIDTH - 2, '   '));
  command.addHelpText(
    'after',
    `\nExamples:\n${spec.examples.map((line) => `  ${line}`).join('\n')}\n\nExit codes:\n${exitLines.map((line) => `  ${line}`).join('\n')}\n`,
  );
  command.action(async (...received: unknown[]) => {
    // commander passes the positional arguments, then the options, then the command.
    const options = received[received.length - 2] as VerbOptions;
    await verb.run(received.slice(0, -2), options);
  });
  return command;
}
