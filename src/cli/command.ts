/**
 * A verb as a commander command, for `--help`, usage errors and the verbs `fast-argv.ts` does
 * not parse. Loaded only then: commander is most of the CLI's code.
 */
import { Command } from 'commander';
import type { VerbDefinition, VerbOptions } from './verb.js';

/** The commander command of a verb: its arguments, `--json`, its options, and its help text. */
export function toCommand(verb: VerbDefinition): Command {
  const { spec } = verb;
  const [name = '', ...args] = spec.usage.split(' ');
  const command = new Command(name)
    .arguments(args.join(' '))
    .description(spec.summary)
    .option('--json', 'print one JSON document instead of text');
  for (const [flags, description, required] of spec.options ?? []) {
    if (required === 'required') command.requiredOption(flags, description);
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
  command.addHelpText(
    'after',
    `\nExamples:\n${spec.examples.map((line) => `  ${line}`).join('\n')}\n\nExit codes:\n${exits.map((line) => `  ${line}`).join('\n')}\n`,
  );
  command.action(async (...received: unknown[]) => {
    // commander passes the positional arguments, then the options, then the command.
    const options = received[received.length - 2] as VerbOptions;
    await verb.run(received.slice(0, -2), options);
  });
  return command;
}
