/**
 * The frontmatter fast path must read exactly what the `yaml` package reads, or step aside.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseAgentFile } from '../../src/dispatch/agent-file.js';
import { parseSimpleFrontmatter } from '../../src/dispatch/frontmatter.js';

describe('frontmatter', () => {
  it.each([
    'description: Investigates and fixes failed workflow steps using RCA pattern\nmodel: claude-opus',
    'description: Looks into a failed step, repairs the cause when it can, and otherwise hands the decision to a human\nmodel: claude-opus',
    'model: gpt-5.3-codex-high\r\n\r\nname: exception_handler  ',
    'model: a "quoted" word, [not] a {flow} & *alias* | > ! % @ `x`',
  ])('reads plain `key: text` lines itself, as YAML would: %j', (text) => {
    const simple = parseSimpleFrontmatter(text);
    expect(simple).toBeDefined();
    expect(simple).toEqual(parseYaml(text));
  });

  it.each([
    ['a boolean', 'model: true'],
    ['null', 'model: null'],
    ['a number', 'model: 5'],
    ['a nested mapping', 'model: a: b'],
    ['a comment', 'model: opus # the big one'],
    ['a quoted string', "model: 'opus'"],
    ['an empty value', 'model:'],
    ['an indented line', 'model: opus\n  extra: 1'],
    ['a list', 'tools:\n  - a'],
    ['a duplicate key', 'model: a\nmodel: b'],
    ['a block scalar', 'description: |\n  text'],
    ['nothing', ''],
  ])('leaves %s to the yaml package', (_, text) => {
    expect(parseSimpleFrontmatter(text)).toBeUndefined();
  });

  it('gives what the yaml package gives, whatever the text', () => {
    const line = fc
      .tuple(
        fc.constantFrom('model', 'description', 'true', 'a-b', 'x_1', ' model', 'model '),
        fc.constantFrom(': ', ':', ':  ', ' : '),
        fc.stringMatching(/^[A-Za-z0-9 ,.:#'"{}[\]&*!|>%@`\-\t]{0,12}$/),
      )
      .map(([key, colon, value]) => `${key}${colon}${value}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 4 }), (lines) => {
        const text = lines.join('\n');
        const simple = parseSimpleFrontmatter(text);
        if (simple === undefined) return;
        expect(simple).toEqual(parseYaml(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('steps aside for what only the yaml package reads right, which agent files then use', () => {
    expect(parseSimpleFrontmatter('model: true\ncount: 3')).toBeUndefined();
    expect(() => parseAgentFile('---\nmodel: true\n---\n', 'a.md')).toThrow(
      "a.md:2: frontmatter 'model' must be a model name (a string), got boolean true",
    );
    expect(() => parseAgentFile('---\nmodel: a: b\n---\n', 'a.md')).toThrow('a.md:2:');
  });
});
