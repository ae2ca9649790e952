/**
 * Fuzzing names that become path components (mailboxes, agents, senders): the accepted set is
 * exactly `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, checked against an oracle written character by
 * character, and a refused name touches no file.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { mailboxPaths } from '../../src/mailbox/paths.js';
import { send } from '../../src/mailbox/send.js';
import { assertName } from '../../src/names.js';
import { makePlanspace } from '../helpers.js';
import { hostileText, PURE_RUNS } from './arbitraries.js';

/** The oracle: 1 to 64 characters, each an ASCII letter, digit, `.`, `_` or `-`, the first alphanumeric. */
function validName(name: string): boolean {
  const alphanumeric = (code: number): boolean =>
    (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  if (name.length < 1 || name.length > 64 || !alphanumeric(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i += 1) {
    const code = name.charCodeAt(i);
    if (!alphanumeric(code) && code !== 0x2e && code !== 0x5f && code !== 0x2d) return false;
  }
  return true;
}

/** Names at the edges: lengths 64 and 65, a final newline, lookalikes, dots, separators. */
const name = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,70}$/),
  fc.stringMatching(/^[A-Za-z0-9]{1,2}$/).map((head) => head.padEnd(64, 'x')),
  fc.stringMatching(/^[A-Za-z0-9]{1,2}$/).map((head) => head.padEnd(65, '.')),
  fc
    .tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.constantFrom('\n', '\r', '/', '\\', '\0', ' ', '\u212a', 'é', 'ａ'))
    .map(([valid, tail]) => valid + tail),
  fc.constantFrom('.', '..', '...', '-a', '_a', '.a', 'a/..', '../a', '', 'K', 'İ', 'ǅ', 'a\u0000b'),
  hostileText(20),
);

describe('fuzz: names', () => {
  it('assertName accepts exactly the names the oracle accepts, and refuses the rest with a UsageError', () => {
    let accepted = 0;
    fc.assert(
      fc.property(name, (text) => {
        const valid = validName(text);
        expect(valid).toBe(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(text));
        if (valid) {
          accepted += 1;
          expect(() => {
            assertName('mailbox', text);
          }).not.toThrow();
          expect(text).not.toMatch(/[\\/]|^\.{1,2}$/);
          // A path component that stays one: the mailbox folder is named exactly so.
          const paths = mailboxPaths('/p', text);
          expect(basename(paths.dir)).toBe(text);
          expect(paths.dir).toBe(join('/p', 'mailboxes', text));
        } else {
          expect(() => {
            assertName('mailbox', text);
          }).toThrow(UsageError);
          expect(() => mailboxPaths('/p', text)).toThrow(/bad mailbox name/);
        }
      }),
      { numRuns: PURE_RUNS },
    );
    expect(accepted).toBeGreaterThan(PURE_RUNS / 10);
    expect(accepted).toBeLessThan(PURE_RUNS * 0.9);
  });

  it('a send to or from a refused name throws UsageError and creates no file in the planspace', async () => {
    const planspace = await makePlanspace('# Schedule\n');
    const refused = name.filter((text) => !validName(text));
    await fc.assert(
      fc.asyncProperty(refused, fc.boolean(), async (text, asSender) => {
        const sending = asSender ? send(planspace, 'ok', 'body\n', { from: text }) : send(planspace, text, 'body\n');
        await expect(sending).rejects.toThrow(UsageError);
        expect(await readdir(planspace)).toEqual(['schedule.md']);
      }),
      { numRuns: 300 },
    );
  });
});
