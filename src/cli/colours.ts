/**
 * Whether the CLI's terminal output is coloured, and the colours it uses: the one place that
 * decides (library code never colours). Colour follows the usual conventions, strongest first:
 *
 * 1. `--no-color` on the command line: never;
 * 2. `NO_COLOR` set to anything but the empty string (no-color.org): never;
 * 3. `FORCE_COLOR`: `0` or `false` never, any other value always, even on a pipe;
 * 4. otherwise: when standard output is a terminal whose `TERM` is not `dumb`.
 */
import picocolors from 'picocolors';

/** The colour functions of picocolors; each returns its text unchanged when colour is off. */
export type Colours = ReturnType<typeof picocolors.createColors>;

/** What decides whether output is coloured. */
export interface ColourChoice {
  /** The environment (`NO_COLOR`, `FORCE_COLOR`, `TERM`). */
  readonly env: NodeJS.ProcessEnv;
  /** Whether standard output is a terminal. */
  readonly isTTY: boolean;
  /** False for `--no-color`; undefined when the option was not given. */
  readonly color?: boolean;
}

/** Decides whether to colour, by the rules of the file comment. */
export function colourEnabled({ env, isTTY, color }: ColourChoice): boolean {
  if (color === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

/** The colour functions: real ones when `enabled`, else ones that return their text as is. */
export function makeColours(enabled: boolean): Colours {
  return picocolors.createColors(enabled);
}
