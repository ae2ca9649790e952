/**
 * Names a user gives that become path components: mailboxes, agents, models and blocks.
 */
import { UsageError } from './errors.js';

/**
 * Letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 64 characters:
 * safe as a single path component (no `/`, never `.` or `..`) on every platform.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Checks a name before any file is touched.
 *
 * @param kind - what the name is for, used in the message, e.g. `mailbox`.
 * @throws {UsageError} naming the kind, the name and the rule, if `name` does not match
 *   `NAME_PATTERN`.
 */
export function assertName(kind: string, name: string): void {
  if (!NAME_PATTERN.test(name)) {
    const shown = name === '' ? 'an empty name' : `'${name}'`;
    throw new UsageError(
      `bad ${kind} name: ${shown}; a name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}
