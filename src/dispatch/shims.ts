/**
 * The `workflow` and `mailbox` commands for agents' shells. The package's executables are
 * `bin/workflow.js` and `bin/mailbox.js`; npm links them as `workflow` and `mailbox` when the
 * package is installed, but a development checkout or a local install has no such names on
 * PATH. A run therefore writes two small shell scripts that start exactly this package's CLI
 * with exactly this `node`, whatever the install.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../prompt/render.js';
import { PACKAGE_BIN } from './command.js';

/** A folder holding the `workflow` and `mailbox` commands; remove it when the run ends. */
export interface CommandShims {
  readonly dir: string;
  remove(): Promise<void>;
}

/**
 * Writes the command scripts into a new private temporary folder.
 *
 * @param nodePath - the `node` the commands run with. Default: the running one.
 */
export async function createCommandShims(nodePath: string = process.execPath): Promise<CommandShims> {
  const dir = await mkdtemp(join(tmpdir(), 'planspace-bin-'));
  for (const name of ['workflow', 'mailbox']) {
    const script = join(PACKAGE_BIN, `${name}.js`);
    const file = join(dir, name);
    await writeFile(file, `#!/bin/sh\nexec ${shellQuote(nodePath)} ${shellQuote(script)} "$@"\n`);
    await chmod(file, 0o755);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
