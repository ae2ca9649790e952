/**
 * The hot verbs' own argument parser agrees with commander: on every call it accepts, it gives
 * the verb exactly the arguments and options commander would; every other call is left to
 * commander (help, errors, corner cases).
 */
import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toCommand } from '../../src/cli/command.js';
import { parseVerbArgs } from '../../src/cli/fast-argv.js';
import { mailboxCommands } from '../../src/cli/mailbox.js';
import { markCommand, retryCommand } from '../../src/cli/mark.js';
import { nextCommand } from '../../src/cli/next.js';
import { parseCommand } from '../../src/cli/parse.js';
import { runCommand } from '../../src/cli/run.js';
import { statusCommand } from '../../src/cli/status.js';
import type { VerbDefinition, VerbIO, VerbOptions, VerbSpec } from '../../src/cli/verb.js';

const io = {} as VerbIO;
const HOT: VerbDefinition[] = [
  nextCommand(io),
  statusCommand(io),
  parseCommand(io),
  markCommand(io, 'done'),
  retryCommand(io),
  runCommand(io),
  ...mailboxCommands(io).filter((verb) => /^(send|recv|check) /.test(verb.spec.usage)),
];

/** What commander hands the verb for `args`, or `error` when it refuses them. */
async function commanderParse(spec: VerbSpec, args: readonly string[]): Promise<unknown> {
  let got: unknown = 'not run';
  const verb: VerbDefinition = {
    spec,
    run: (positional: readonly unknown[], options: VerbOptions) => {
      got = { positional, options: { ...options } };
      return Promise.resolve();
    },
  };
  const silent = { writeOut: () => undefined, writeErr: () => undefined };
  const program = new Command('workflow').exitOverride().configureOutput(silent);
  program.addCommand(toCommand(verb).exitOverride().configureOutput(silent));
  try {
    await program.parseAsync([spec.usage.split(' ')[0] ?? '', ...args], { from: 'user' });
  } catch {
    return 'error';
  }
  return got;
}

const token = fc.constantFrom(
  './plan',
  'orchestrator',
  '5',
  '4:[run] 4. x | m -- d (a.md)',
  '',
  'hello world',
  '--json',
  '--all',
  '--from',
  '--from=coder',
  '--json=1',
  '--help',
  '-h',
  '--',
  '-',
  '-5',
  '--nope',
  '-j',
  '--concurrency',
  '--concurrency=64',
  '64',
  '--dry-run',
  '--dry-run=1',
  '--no-color',
  '--no-color=1',
  '--only=2,5',
  '--codespace',
  '--models=./models',
  '-c',
  '--verify',
  '--verify=npm test',
  'make check',
);

describe('parseVerbArgs', () => {
  it.each(HOT.map((verb) => [verb.spec.usage, verb] as const))(
    'parses %s exactly as commander does',
    async (_, verb) => {
      await fc.assert(
        fc.asyncProperty(fc.array(token, { maxLength: 6 }), async (args) => {
          const fast = parseVerbArgs(verb.spec, args);
          if (fast === undefined) return;
          expect({ positional: fast.positional, options: fast.options }).toEqual(await commanderParse(verb.spec, args));
        }),
        { numRuns: 400 },
      );
    },
  );

  it.each([
    [['./plan'], { positional: ['./plan', undefined], options: {} }],
    [['./plan', '--json'], { positional: ['./plan', undefined], options: { json: true } }],
    [['--json', './plan', '5'], { positional: ['./plan', '5'], options: { json: true } }],
  ])('takes done %j itself', (args, want) => {
    expect(parseVerbArgs(markCommand(io, 'done').spec, args)).toEqual(want);
  });

  it.each([[['--help']], [['./plan', '-h']], [[]], [['./plan', '5', '6']], [['--', './plan']], [['./plan', '--jsn']]])(
    'leaves done %j to commander',
    (args) => {
      expect(parseVerbArgs(markCommand(io, 'done').spec, args)).toBeUndefined();
    },
  );

  it('takes a typical workflow run call itself', () => {
    const args = ['./plan', '--concurrency', '64', '--models=./models', '--codespace', './code', '--dry-run'];
    expect(parseVerbArgs(runCommand(io).spec, args)).toEqual({
      positional: ['./plan'],
      options: { concurrency: '64', models: './models', codespace: './code', dryRun: true, color: true },
    });
  });

  it('takes a repeated --verify as commander does: every value, in order', () => {
    const args = ['./plan', '--verify', 'npm test', '--verify=npm run lint', '--verify', 'make check'];
    expect(parseVerbArgs(runCommand(io).spec, args)?.options).toEqual({
      verify: ['npm test', 'npm run lint', 'make check'],
      color: true,
    });
  });

  it('takes --no-color as commander does: color false, and true without it', () => {
    expect(parseVerbArgs(runCommand(io).spec, ['./plan', '--no-color'])?.options).toEqual({ color: false });
    expect(parseVerbArgs(runCommand(io).spec, ['./plan'])?.options).toEqual({ color: true });
  });

  it('parses send with words and --from in any order', () => {
    const send = HOT.find((verb) => verb.spec.usage.startsWith('send '));
    expect(send && parseVerbArgs(send.spec, ['./plan', 'boss', 'done:1:ok', '--from', 'coder', 'now'])).toEqual({
      positional: ['./plan', 'boss', ['done:1:ok', 'now']],
      options: { from: 'coder' },
    });
  });
});
