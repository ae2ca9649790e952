import type { Root } from 'mdast';
import { parseMarkdown } from '../markdown.js';

/** An inclusive range of 1-based line numbers. */
export interface LineRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Finds the lines that lie inside fenced code blocks, as CommonMark (remark-parse) reads the
 * text. Indented code blocks are left out: DESIGN.md §2 exempts fenced blocks only, and a
 * status marker indented by four spaces must be reported, not skipped because markdown would
 * show it as code.
 *
 * @param text - the whole schedule text.
 * @returns the line ranges of every fenced code block, fence lines included, in document
 *   order; empty when the text has no run of three backticks or tildes (no fence can exist).
 */
export function findCodeBlocks(text: string): LineRange[] {
  if (!text.includes('```') && !text.includes('~~~')) return [];
  const ranges: LineRange[] = [];
  // An explicit stack, not recursion: a few KiB of nested `>` or `- ` markers on one line make
  // a tree deep enough to overflow the call stack.
  const stack: (Root | Root['children'][number])[] = [parseMarkdown(text)];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.type === 'code' && node.position && isFenced(text, node.position.start.offset)) {
      ranges.push({ start: node.position.start.line, end: node.position.end.line });
    }
    if (!('children' in node)) continue;
    // Pushed last to first, so that blocks come off the stack in document order.
    for (let i = node.children.length - 1; i >= 0; i -= 1) {
      const child = node.children[i];
      if (child) stack.push(child);
    }
  }
  return ranges;
}

/** True when the code block starting at `offset` opens with a fence, not an indentation. */
function isFenced(text: string, offset: number | undefined): boolean {
  if (offset === undefined) return false;
  const fence = text.slice(offset, offset + 3);
  return fence === '```' || fence === '~~~';
}
