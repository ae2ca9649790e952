/**
 * The check the engine makes before every write into `artifacts/` (twice an attempt): that the
 * folder is still the one the run started with, still a folder of this user that nobody else
 * may write to. One `lstat` answers all of it.
 */
import { chmodSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafePathError } from '../../src/fs/guard.js';
import { FolderReplacedError, holdFolder } from '../../src/fs/held-folder.js';
import { countFsCalls } from '../fs-calls.js';

function artifacts(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'planspace-held-')), 'artifacts');
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

describe('holdFolder', () => {
  it('checks the folder with one lstat (it took two before)', async () => {
    const held = holdFolder(artifacts(), 'artifacts folder');
    const calls = await countFsCalls(['lstatSync', 'statSync'], () => {
      held.assertSame();
    });
    expect(calls).toEqual({ lstatSync: 1, statSync: 0 });
  });

  it('still refuses the folder once others may write to it', () => {
    const dir = artifacts();
    const held = holdFolder(dir, 'artifacts folder');
    chmodSync(dir, 0o777);
    expect(() => {
      held.assertSame();
    }).toThrow(UnsafePathError);
    expect(() => {
      held.assertSame();
    }).toThrow(`artifacts folder ${dir} is writable by its group and by others: chmod go-w ${dir}`);
  });

  it('still refuses another folder put in its place', () => {
    const dir = artifacts();
    const held = holdFolder(dir, 'artifacts folder');
    renameSync(dir, `${dir}-old`);
    mkdirSync(dir, { mode: 0o700 });
    expect(() => {
      held.assertSame();
    }).toThrow(FolderReplacedError);
  });
});
