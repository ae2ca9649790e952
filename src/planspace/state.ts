/**
 * `state.md`: agents append facts; the engine owns one section, `## Position`, and rewrites
 * only that section, leaving every other byte as it is.
 */
import { readFile } from 'node:fs/promises';
import { isErrno } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';

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
 * atomically. Agents' appends between the read and the rename could be lost, so the engine
 * calls this only at transitions, when no agent of the planspace is running.
 */
export async function writePosition(path: string, body: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    text = '# State\n';
  }
  const updated = withPosition(text, body);
  if (updated !== text) await writeFileAtomic(path, updated);
}
