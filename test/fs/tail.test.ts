import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTail } from '../../src/fs/tail.js';
import { makeTree } from '../helpers.js';

describe('readTail', () => {
  it.each([
    ['a short file, whole', 'one\ntwo\n', 64, 'one\ntwo\n'],
    ['a long file, from the first whole line of its last bytes', 'first line\nsecond\nthird\n', 12, 'third\n'],
    ['a cut multi-byte character is dropped with its line', 'ééééé\nlast\n', 8, 'last\n'],
    ['no line boundary in the tail: nothing', 'x'.repeat(100), 10, ''],
    ['an empty file', '', 10, ''],
  ])('%s', async (_, text, maxBytes, expected) => {
    const root = await makeTree({ 'f.md': text });
    expect(await readTail(join(root, 'f.md'), maxBytes)).toBe(expected);
  });

  it.each([
    ['the part from an offset, whole when it fits', '$ a\nout a\n$ b\nout b\n', 64, 14, 'out b\n'],
    ['its last bytes, from a whole line, when it does not', '$ a\n$ b\n1\n22\n333\n', 6, 8, '333\n'],
    ['nothing when the file ends at the offset', '$ a\n', 64, 4, ''],
    ['nothing when the file is shorter than the offset', '$ a\n', 64, 10, ''],
  ])('from an offset: %s', async (_, text, maxBytes, from, expected) => {
    const root = await makeTree({ 'f.txt': text });
    expect(await readTail(join(root, 'f.txt'), maxBytes, from)).toBe(expected);
  });

  it("is '' for a file that does not exist or is a link, and refuses a folder", async () => {
    const root = await makeTree({ 'dir/x': '', 'secret.md': 'not for prompts\n' });
    await symlink(join(root, 'secret.md'), join(root, 'link.md'));
    expect(await readTail(join(root, 'missing.md'))).toBe('');
    expect(await readTail(join(root, 'link.md'))).toBe('');
    await expect(readTail(join(root, 'dir'))).rejects.toMatchObject({ code: 'E_NOT_REGULAR_FILE' });
  });
});
