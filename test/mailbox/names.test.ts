/**
 * Mailbox and agent names become folder names: a bad one is refused with exit 2 and a clear
 * reason before any file is touched.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTree, runMailbox } from '../helpers.js';

const RULE = "a name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";

const BAD_NAMES: [string, string][] = [
  ['..', "'..'"],
  ['.', "'.'"],
  ['a/b', "'a/b'"],
  ['../escape', "'../escape'"],
  ['', 'an empty name'],
  ['x'.repeat(65), `'${'x'.repeat(65)}'`],
  ['_under', "'_under'"],
  ['a b', "'a b'"],
];

/** Every file under `root` with its content: the planspace as a value, to compare before and after. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: Record<string, string> = {};
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    files[path.slice(root.length)] = entry.isFile() ? await readFile(path, 'utf8') : '<dir>';
  }
  return files;
}

describe('mailbox names', () => {
  it.each(BAD_NAMES)(
    'refuses %j in every verb with exit 2, a clear reason, and no file touched',
    async (name, shown) => {
      // The planspace sits inside another folder, so that an escape upwards would show too.
      const root = await makeTree({ 'plan/schedule.md': '# Schedule: names\n', 'plan/state.md': 'facts\n' });
      const plan = join(root, 'plan');
      const before = await snapshot(root);
      const calls: string[][] = [
        ['send', plan, name, 'hello'],
        ['recv', plan, name],
        ['recv', plan, name, '1'],
        ['register', plan, name],
        ['register', plan, name, '1'],
        ['check', plan, name],
        ['unregister', plan, name],
        ['drain', plan, name],
        ['cleanup', plan, name],
      ];
      // All at once: a refused name touches nothing, so the calls cannot disturb each other.
      const results = await Promise.all([
        ...calls.map((args) => runMailbox(args)),
        runMailbox(['send', plan, name], { input: 'a body on standard input' }),
      ]);
      for (const [n, result] of results.entries()) {
        expect(result, (calls[n] ?? ['send (standard input)']).join(' ')).toMatchObject({
          code: 2,
          stdout: '',
          stderr: `bad mailbox name: ${shown}; ${RULE}\n`,
        });
      }
      expect(await snapshot(root)).toEqual(before);
    },
  );

  it('refuses a bad sender name in --from and $WORKFLOW_AGENT, delivering nothing', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: names\n' });
    const before = await snapshot(plan);
    expect(await runMailbox(['send', plan, 'orch', 'x', '--from', '../me'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `bad sender name: '../me'; ${RULE}\n`,
    });
    expect(await runMailbox(['send', plan, 'orch', 'x'], { env: { WORKFLOW_AGENT: 'a/b' } })).toMatchObject({
      code: 2,
      stderr: `bad sender name: 'a/b'; ${RULE}\n`,
    });
    expect(await snapshot(plan)).toEqual(before);
  });

  it('accepts a name of 64 characters, dots, dashes and underscores', async () => {
    const plan = await makeTree({ 'schedule.md': '# Schedule: names\n' });
    for (const name of ['y'.repeat(64), 'a.b_c-d', '0', 'A..b']) {
      expect(await runMailbox(['send', plan, name, 'hi'])).toMatchObject({ code: 0, stdout: `sent:${name}:1\n` });
      expect(await runMailbox(['recv', plan, name, '5'])).toMatchObject({ code: 0, stdout: 'hi\n' });
    }
  });
});
