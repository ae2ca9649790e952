/**
 * Atomic replacement, as the engine writes prompts, the schedule and its hold: the target holds
 * the old content or the new, keeps its permission bits, a link in its place is replaced rather
 * than followed, and a failed write leaves no temporary file behind. The latest attempt's
 * artifacts are made second names of its files the same way (`linkFileAtomicSync`).
 */
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkFileAtomicSync, writeFileAtomic, writeFileAtomicSync } from '../../src/fs/atomic.js';
import { countFsCalls } from '../fs-calls.js';

const writers = [
  ['writeFileAtomic', writeFileAtomic],
  [
    'writeFileAtomicSync',
    (path: string, data: string) =>
      new Promise<void>((resolve) => {
        // A throw in the executor rejects, as the async writer's errors do.
        writeFileAtomicSync(path, data);
        resolve();
      }),
  ],
] as const;

describe.each(writers)('%s', (_, write) => {
  const folder = (): string => mkdtempSync(join(tmpdir(), 'planspace-atomic-'));

  it('creates a new file with mode 0600 and replaces an existing one with a 0600 file whatever its mode', async () => {
    const dir = folder();
    const file = join(dir, 'prompt.md');
    await write(file, 'first\n');
    expect(readFileSync(file, 'utf8')).toBe('first\n');
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    chmodSync(file, 0o640);
    await write(file, 'second\n');
    expect(readFileSync(file, 'utf8')).toBe('second\n');
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['prompt.md']);
  });

  it('replaces a link in place of the file and leaves what it pointed to alone', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'outside.md'), 'keep\n');
    symlinkSync(join(dir, 'outside.md'), join(dir, 'prompt.md'));
    await write(join(dir, 'prompt.md'), 'new\n');
    expect(lstatSync(join(dir, 'prompt.md')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dir, 'prompt.md'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(dir, 'outside.md'), 'utf8')).toBe('keep\n');
  });

  it('fails naming the file, leaving the target as it was and no temporary file', async () => {
    const dir = folder();
    mkdirSync(join(dir, 'prompt.md'));
    await expect(write(join(dir, 'prompt.md'), 'text\n')).rejects.toThrow(join(dir, 'prompt.md'));
    expect(lstatSync(join(dir, 'prompt.md')).isDirectory()).toBe(true);
    expect(readdirSync(dir)).toEqual(['prompt.md']);
  });
});

describe('atomic writes after a killed process of the same pid', () => {
  it('pass over the temporary files it left under their names, and leave them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'planspace-atomic-'));
    const atomic = join(process.cwd(), 'dist', 'fs', 'atomic.js');
    // A new process: its first names are `.<name>.<pid>.1.tmp` on; the leftovers take 1 to 3.
    const script = [
      `import { writeFileSync } from 'node:fs';`,
      `const { writeFileAtomic, writeFileAtomicSync } = await import(${JSON.stringify(atomic)});`,
      `for (const n of [1, 2, 3]) writeFileSync(${JSON.stringify(dir)} + '/.a.md.' + process.pid + '.' + n + '.tmp', 'left');`,
      `writeFileAtomicSync(${JSON.stringify(join(dir, 'a.md'))}, 'sync\\n');`,
      `await writeFileAtomic(${JSON.stringify(join(dir, 'b.md'))}, 'async\\n');`,
    ].join('\n');
    execFileSync(process.execPath, ['--input-type=module', '-e', script]);
    expect(readFileSync(join(dir, 'a.md'), 'utf8')).toBe('sync\n');
    expect(readFileSync(join(dir, 'b.md'), 'utf8')).toBe('async\n');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toHaveLength(3);
  });
});

describe('linkFileAtomicSync', () => {
  const folder = (): string => mkdtempSync(join(tmpdir(), 'planspace-atomic-'));

  it('makes the name a second name of the file, replacing the file it named before', () => {
    const dir = folder();
    writeFileSync(join(dir, 'attempt-1.md'), 'one\n');
    writeFileSync(join(dir, 'attempt-2.md'), 'two\n');
    expect(linkFileAtomicSync(join(dir, 'attempt-1.md'), join(dir, 'latest.md'))).toBe(true);
    expect(linkFileAtomicSync(join(dir, 'attempt-2.md'), join(dir, 'latest.md'))).toBe(true);
    expect(lstatSync(join(dir, 'latest.md')).ino).toBe(lstatSync(join(dir, 'attempt-2.md')).ino);
    // The earlier attempt's file is left as it was.
    expect(readFileSync(join(dir, 'attempt-1.md'), 'utf8')).toBe('one\n');
    expect(readdirSync(dir).sort()).toEqual(['attempt-1.md', 'attempt-2.md', 'latest.md']);
  });

  it('links a free name at once: no temporary name, no rename (each attempt makes two such names)', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'attempt-1.md'), 'one\n');
    const calls = await countFsCalls(['linkSync', 'renameSync', 'copyFileSync'], () => {
      expect(linkFileAtomicSync(join(dir, 'attempt-1.md'), join(dir, 'latest.md'))).toBe(true);
    });
    expect(calls).toEqual({ linkSync: 1, renameSync: 0, copyFileSync: 0 });
    expect(lstatSync(join(dir, 'latest.md')).ino).toBe(lstatSync(join(dir, 'attempt-1.md')).ino);
    expect(readdirSync(dir).sort()).toEqual(['attempt-1.md', 'latest.md']);
  });

  it('replaces a link in place of the name and leaves what it pointed to alone', () => {
    const dir = folder();
    writeFileSync(join(dir, 'outside.md'), 'keep\n');
    writeFileSync(join(dir, 'attempt-1.md'), 'one\n');
    symlinkSync(join(dir, 'outside.md'), join(dir, 'latest.md'));
    linkFileAtomicSync(join(dir, 'attempt-1.md'), join(dir, 'latest.md'));
    expect(lstatSync(join(dir, 'latest.md')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dir, 'latest.md'), 'utf8')).toBe('one\n');
    expect(readFileSync(join(dir, 'outside.md'), 'utf8')).toBe('keep\n');
  });

  it('fails naming the file, leaving the name as it was and no temporary name', () => {
    const dir = folder();
    writeFileSync(join(dir, 'latest.md'), 'old\n');
    expect(() => linkFileAtomicSync(join(dir, 'missing.md'), join(dir, 'latest.md'))).toThrow(join(dir, 'missing.md'));
    expect(readFileSync(join(dir, 'latest.md'), 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['latest.md']);
  });
});
