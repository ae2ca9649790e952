/**
 * The shape every CLI verb shares: a spec (usage, options, `--json`, examples for its help)
 * and a handler that returns what to print instead of printing it. Plain data: the hot verbs
 * run without commander (see `fast-argv.ts`), which `command.ts` loads for help and errors.
 */
import { UsageError } from '../errors.js';
import { assertPlanspace } from '../planspace/exists.js';

/** What a verb prints: `text` by default, `json` (one document) with `--json`. */
export interface VerbOutput {
  /** Printed followed by a newline. */
  readonly text: string;
  /** Printed as is, instead of `text`, in text mode (message bodies: any bytes). */
  readonly bytes?: Uint8Array;
  readonly json: unknown;
  /** Default 0. */
  readonly exitCode?: number;
  /** Notes for humans, printed to stderr in text mode. */
  readonly notes?: readonly string[];
  /** Runs once the output has been handed to the operating system (e.g. acknowledge a message). */
  readonly afterWrite?: () => Promise<void>;
}

/** Options every verb has. */
export interface CommonOptions {
  readonly json?: boolean;
}

/** What the CLI gives each verb: where output goes, and the process's signal and input. */
export interface VerbIO {
  /** Prints a verb's output (the CLI's one place that writes to stdout). */
  readonly emit: (output: VerbOutput, options: CommonOptions) => Promise<void>;
  /** Aborted on SIGINT or SIGTERM; long waits (`recv`) stop on it. */
  readonly signal: AbortSignal;
  /**
   * Aborted on a second SIGINT, SIGTERM or SIGHUP, right before the process ends by it: its
   * listeners must clean up synchronously (`workflow run` kills its agents, removes its hold).
   */
  readonly forceSignal: AbortSignal;
  /** Reads standard input to its end, byte for byte. */
  readonly readStdin: () => Promise<Buffer>;
  /** The environment (`WORKFLOW_AGENT`, `WORKFLOW_RUN_ID`). */
  readonly env: NodeJS.ProcessEnv;
  /** Live output while a long verb runs (`workflow run`); the final output still goes to `emit`. */
  readonly print: (text: string) => void;
  /** Live notes for humans on stderr. */
  readonly note: (text: string) => void;
  /** True when stdout is a terminal (a live view instead of plain lines). */
  readonly isTTY: boolean;
  /** The terminal's width in columns when stdout is a terminal that says; else undefined. */
  readonly columns: number | undefined;
  /** Standard input as lines, for answers typed at the terminal; undefined when it is not a terminal. */
  readonly terminalInput: NodeJS.ReadableStream | undefined;
  /**
   * Acts as a Ctrl-C at the terminal would (SIGINT to this process, which its handler turns
   * into an abort, then a forced stop): for Ctrl-C read as a key while the terminal is in raw mode.
   */
  readonly interrupt: () => void;
}

/** Describes a verb for `defineVerb`. */
export interface VerbSpec {
  /** Name and arguments in commander syntax, e.g. `done <planspace> [N]`. */
  readonly usage: string;
  readonly summary: string;
  /** Example lines shown after the options in `--help`. */
  readonly examples: readonly string[];
  /** Exit codes shown in `--help`, e.g. `1  no [run] step`. */
  readonly exitCodes?: readonly string[];
  /**
   * Extra options in commander syntax: `[flags, description]`, or `[..., 'required']`, or
   * `[..., 'repeatable']` for an option with a value that may be given again: its value is then
   * the list of every value given, in order (`--verify a --verify b`: `['a', 'b']`).
   */
  readonly options?: readonly (readonly [string, string, ('required' | 'repeatable')?])[];
  /**
   * How the first argument, when `usage` names it `<planspace>`, is checked before the verb
   * runs. `checked` (default): it must hold `schedule.md` (see `assertPlanspace`), else the
   * verb fails with `<path> is not a planspace (no schedule.md)`, exit 2, before touching
   * anything. `read`: the verb's first act is to read `schedule.md`, which throws that same
   * error; the hot schedule verbs say so to spare a `stat` of their start-up. `created`: the
   * verb makes the planspace (`init`).
   */
  readonly planspace?: 'checked' | 'read' | 'created';
}

/** The options of a verb call: `--json`, and the verb's own (camelCase keys, as commander names them). */
export type VerbOptions = CommonOptions & Readonly<Record<string, unknown>>;

/** A verb: its spec, and how to run it once its arguments are parsed. */
export interface VerbDefinition {
  readonly spec: VerbSpec;
  /**
   * Runs the verb and emits its output.
   *
   * @param positional - the arguments in the order of `spec.usage`; a variadic last argument
   *   (`[words...]`) as an array; an optional one left out as undefined.
   */
  readonly run: (positional: readonly unknown[], options: VerbOptions) => Promise<void>;
}

/**
 * Defines a verb. `handler` gets the positional arguments, the options and the I/O context;
 * what it returns goes to `io.emit`.
 */
// A and O type the handler's arguments for each verb; that is their whole purpose.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function defineVerb<A extends unknown[], O extends CommonOptions>(
  spec: VerbSpec,
  io: VerbIO,
  handler: (...args: [...A, O, VerbIO]) => Promise<VerbOutput> | VerbOutput,
): VerbDefinition {
  const checks = spec.usage.split(' ')[1] === '<planspace>' && (spec.planspace ?? 'checked') === 'checked';
  return {
    spec,
    run: async (positional, options) => {
      // Here, the one place every verb of both programs goes through, so no verb can forget it.
      if (checks) assertPlanspace(positional[0] as string);
      const typed = options as O;
      await io.emit(await handler(...(positional as A), typed, io), typed);
    },
  };
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
