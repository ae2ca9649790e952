/**
 * `state.md`: agents append facts; the engine owns one section, `## Position`, and rewrites
 * only that section, leaving every other byte as it is.
 */
import { fstatSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { isErrno } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { NO_FOLLOW, openNoFollow } from '../fs/guard.js';
import { FileTooLargeError, MAX_READ_BYTES } from '../fs/regular-file.js';

const HEADING = '## Position';

/**
 * Returns `text` with its `## Position` section (up to the next `## ` or `# ` heading) replaced
 * by `body`, or with the section added at the end if there is none. Pure.
 */
export function withPosition(text: string, body: string): string {
  const section = `${HEADING}\n\n${body.trim()}\n`;
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trimEnd() === HEADING);
  if (start === -1) {
    const separator = text === '' ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    return `${text}${separator}${section}`;
  }
  const after = lines.findIndex((line, index) => index > start && /^#{1,2} /.test(line));
  const rest = after === -1 ? '' : `\n${lines.slice(after).join('\n')}`;
  return `${lines.slice(0, start).join('\n')}${start > 0 ? '\n' : ''}${section}${rest}`;
}

/**
 * Rewrites the `## Position` section of a `state.md` file (creating the file if needed),
 * atomically: a temporary file renamed over it. Agents append to `state.md` while steps run in
 * parallel, so the old file stays open meanwhile, and whatever was appended to it after it was
 * read is appended again to the new file. (An append whose writer opened the old file before
 * the rename and writes only after the carry-over can still be lost; the window is a few
 * system calls.)
 *
 * @throws {UnsafePathError} if the file is a symbolic link (its target would be read into the
 *   new file, and so into the prompts of agents).
 * @throws {FileTooLargeError} if the file is larger than `MAX_READ_BYTES` (64 MiB).
 * @throws the `fs` error if the file cannot be read or written.
 */
export async function writePosition(path: string, body: string): Promise<void> {
  let old: FileHandle | undefined;
  try {
    old = await openNoFollow(path, NO_FOLLOW.read);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  try {
    // The sizes are taken synchronously: `## Position` is rewritten twice a step, and each
    // thread-pool round trip cost more than the `fstat` it waited for.
    if (old !== undefined) {
      const { size } = fstatSync(old.fd);
      if (size > MAX_READ_BYTES) throw new FileTooLargeError(path, size, MAX_READ_BYTES);
    }
    const bytes = old === undefined ? Buffer.from('# State\n') : await old.readFile();
    const text = bytes.toString('utf8');
    const updated = withPosition(text, body);
    if (updated === text && old !== undefined) return;
    await writeFileAtomic(path, updated);
    if (old === undefined) return;
    const { size } = fstatSync(old.fd);
    if (size <= bytes.length) return;
    const late = Buffer.alloc(size - bytes.length);
    const { bytesRead } = await old.read(late, 0, late.length, bytes.length);
    const carried = await openNoFollow(path, NO_FOLLOW.append);
    try {
      await carried.writeFile(late.subarray(0, bytesRead));
    } finally {
      await carried.close();
    }
  } finally {
    await old?.close();
  }
}
