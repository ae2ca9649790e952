import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { parseMarkdown } from '../markdown.js';
import { findSection, parseRef, RefError } from './sections.js';
import { NotRegularFileError, readRegularFile } from '../fs/regular-file.js';

/**
 * Reads the verbatim text a step's ref names from a skills folder.
 *
 * @param skills - the skills folder (`--skills`), holding `implement.md`, `rca.md`, ...
 * @param ref - the step's ref, e.g. `implement.md Stages 4-5`.
 * @returns the section text exactly as it stands in the file.
 * @throws {RefError} naming the ref: a malformed ref, a file the folder does not have (listing
 *   the `.md` files it has), or a heading the file does not have (listing its headings).
 */
export async function readSkillSection(skills: string, ref: string): Promise<string> {
  const parsed = parseRef(ref);
  let text: string;
  try {
    text = (await readRegularFile(join(skills, parsed.file))).toString('utf8');
  } catch (error) {
    // A folder of that name is no skill file; a FIFO or a huge file is its own error.
    const folder = error instanceof NotRegularFileError && error.kind === 'a folder';
    if (!isErrno(error, 'ENOENT') && !folder) throw error;
    const files = await readdir(skills).catch(() => [] as string[]);
    const markdown = files.filter((file) => file.endsWith('.md')).sort();
    throw new RefError(
      ref,
      `ref '${ref}': no file ${parsed.file} in ${skills}; it has: ${markdown.join(', ') || 'no .md files'}`,
    );
  }
  return findSection(ref, parsed, text, parseMarkdown);
}
