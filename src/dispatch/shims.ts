/**
 * The `workflow` and `mailbox` commands for agents' shells. The package's executables are
 * `bin/workflow.js` and `bin/mailbox.js`; npm links them as `workflow` and `mailbox` when the
 * package is installed, but a development checkout or a local install has no such names on
 * PATH. The package therefore ships two small shell scripts under those names in
 * `bin/commands/`, which start exactly this package's CLI with the node that
 * `WORKFLOW_NODE` names (the engine's own), whatever the install. Nothing is written per run,
 * so an engine that is killed leaves nothing behind.
 */
import { packagePath } from '../package-root.js';

/** The folder holding the `workflow` and `mailbox` commands, first on agents' PATH. */
export const AGENT_COMMANDS = packagePath('bin', 'commands');
