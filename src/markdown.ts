import { createRequire } from 'node:module';
import type { Root } from 'mdast';

interface MarkdownParser {
  parse(text: string): Root;
}

let parser: MarkdownParser | undefined;

/**
 * Parses markdown into an mdast tree with unified + remark-parse (CommonMark), with every
 * node's position (line, column, offset) in `text`.
 *
 * The parser is loaded on first use: loading it costs about 100 ms, which the schedule verbs
 * pay only for schedules that can contain a fenced code block. `require` of these ES modules
 * works synchronously on the supported Node versions (>= 20.19).
 */
export function parseMarkdown(text: string): Root {
  if (!parser) {
    const require = createRequire(import.meta.url);
    const { unified } = require('unified') as typeof import('unified');
    const remarkParse = (require('remark-parse') as typeof import('remark-parse')).default;
    parser = unified().use(remarkParse);
  }
  return parser.parse(text);
}
