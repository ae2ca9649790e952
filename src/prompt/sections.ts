/**
 * Skill sections: the verbatim text a step's ref names (DESIGN.md §5.2).
 *
 * A ref is `<file>.md`, `<file>.md <Label>` or `<file>.md <Labels> <A>-<B>`:
 *
 * - `implement.md`: the whole file;
 * - `implement.md Stage 1`: the section whose heading is `Stage 1`, or starts with `Stage 1:`
 *   or `Stage 1 ` (never `Stage 10`), at any depth, up to the next heading of the same or a
 *   higher level;
 * - `implement.md Stages 4-5`: from the `Stage 4` heading to the end of the `Stage 5` section.
 *
 * Markdown structure comes from unified + remark-parse, so a `#` line inside a fenced code
 * block is never a heading. The text returned is the file's own bytes, not a re-rendering.
 */
import type { Heading, Root } from 'mdast';
import { PlanspaceError } from '../errors.js';

/** A ref split into its parts. */
export interface SkillRef {
  /** The skill file, relative to the skills folder, e.g. `implement.md`. */
  readonly file: string;
  /** Absent for the whole file. */
  readonly label?: string;
  /** For `Stages 4-5`: the singular word and the first and last labels, `Stage 4`..`Stage 5`. */
  readonly range?: { readonly from: string; readonly to: string };
}

/** A ref could not be parsed or resolved; the message names the ref and what exists. */
export class RefError extends PlanspaceError {
  readonly ref: string;

  constructor(ref: string, message: string) {
    super('E_REF', message);
    this.ref = ref;
  }
}

/** Longest label read as a range (`Stages 4-5`); a longer one is a plain label. */
const MAX_RANGE_LABEL = 256;

/**
 * Parses a ref such as `implement.md Stages 4-5`.
 *
 * @throws {RefError} unless the ref starts with a relative `.md` path that stays inside the
 *   skills folder (no `..` segment, not absolute).
 */
export function parseRef(ref: string): SkillRef {
  // Trailing blanks trimmed first: a lazy `(.+?)\s*$` takes time quadratic in a long ref.
  const match = /^(\S+\.md)(?:\s+(.+))?$/.exec(ref.trimEnd());
  const file = match?.[1];
  if (!match || file === undefined) {
    throw new RefError(ref, `ref '${ref}' does not start with a skill file name ending in .md`);
  }
  if (file.startsWith('/') || file.startsWith('\\') || file.split(/[\\/]/).includes('..')) {
    throw new RefError(ref, `ref '${ref}' names a file outside the skills folder`);
  }
  const label = match[2];
  if (label === undefined) return { file };
  // `Stages 4-5` is Stage 4 through Stage 5: a plural word and a range of numbers or letters.
  // Its regular expression backtracks in time quadratic in the label, and no real range is long.
  const range = label.length <= MAX_RANGE_LABEL ? /^(\S+?)s\s+(\S+)\s*-\s*(\S+)$/.exec(label) : null;
  if (range) {
    const [, word, from, to] = range;
    return { file, label, range: { from: `${word ?? ''} ${from ?? ''}`, to: `${word ?? ''} ${to ?? ''}` } };
  }
  return { file, label };
}

/** True when a heading's text names `label`: equal, or `label` followed by `:` or a space. */
export function headingMatches(text: string, label: string): boolean {
  return text === label || text.startsWith(`${label}:`) || text.startsWith(`${label} `);
}

/** A heading of the document with where its section starts and ends (offsets in the text). */
interface Section {
  readonly text: string;
  readonly depth: number;
  readonly start: number;
  readonly end: number;
}

/** The plain text of a heading (inline code, emphasis and links reduced to their text). */
function headingText(node: Heading): string {
  const parts: string[] = [];
  const collect = (child: Heading['children'][number]): void => {
    if ('value' in child) parts.push(child.value);
    if ('children' in child) for (const grandchild of child.children) collect(grandchild);
  };
  for (const child of node.children) collect(child);
  return parts.join('').trim();
}

/** Every top-level heading's section: from the heading to the next heading of the same or higher level. */
function sections(root: Root, text: string): Section[] {
  const headings = root.children.filter((node): node is Heading => node.type === 'heading');
  return headings.map((heading, index) => {
    const next = headings.slice(index + 1).find((later) => later.depth <= heading.depth);
    return {
      text: headingText(heading),
      depth: heading.depth,
      start: heading.position?.start.offset ?? 0,
      end: next?.position?.start.offset ?? text.length,
    };
  });
}

/**
 * Finds the text a ref names in one skill file's text.
 *
 * @param markdown - parses markdown into an mdast tree (unified + remark-parse).
 * @returns the verbatim section text (the whole file for a ref without a label).
 * @throws {RefError} naming the ref and listing the headings that exist, if no heading
 *   matches (or, for a range, if its end comes before its start).
 */
export function findSection(ref: string, parsed: SkillRef, text: string, markdown: (text: string) => Root): string {
  if (parsed.label === undefined) return text;
  const all = sections(markdown(text), text);
  const find = (label: string): Section | undefined => all.find((section) => headingMatches(section.text, label));
  const first = find(parsed.range?.from ?? parsed.label);
  const last = parsed.range ? find(parsed.range.to) : first;
  if (!first || !last) {
    const missing = !first ? (parsed.range?.from ?? parsed.label) : (parsed.range?.to ?? parsed.label);
    const existing = all.map((section) => `${'#'.repeat(section.depth)} ${section.text}`).join('; ');
    throw new RefError(ref, `ref '${ref}': ${parsed.file} has no heading '${missing}'; its headings: ${existing}`);
  }
  if (last.start < first.start) {
    throw new RefError(ref, `ref '${ref}': '${last.text}' comes before '${first.text}' in ${parsed.file}`);
  }
  return text.slice(first.start, Math.max(first.end, last.end));
}
