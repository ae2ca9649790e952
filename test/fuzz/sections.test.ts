/**
 * Fuzzing ref resolution: generated markdown (headings of every depth, `Stage N` headings
 * whose numbers share prefixes, fences holding heading-like lines, CRLF) against an oracle
 * that reads the same lines by the rules of DESIGN.md §5.2, and arbitrary documents and refs,
 * which must give a substring of the file or a `RefError` naming the ref.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMarkdown } from '../../src/markdown.js';
import { findSection, parseRef, RefError } from '../../src/prompt/sections.js';
import { hostileText, LONG_RUNS, longRun, PURE_RUNS, returnsOrThrows } from './arbitraries.js';

const REF = 'E_REF';
const NUMBERS = ['1', '2', '3', '10', '11', '12', '21'];

/** Heading titles that differ from each other only just: `Stage 1`, `Stage 1:`, `Stage 10`... */
const title = fc.oneof(
  fc
    .tuple(fc.constantFrom(...NUMBERS), fc.constantFrom('', ':', ': Setup', ' Setup', 'x', '0', '.5', '-b', ' - intro'))
    .map(([n, suffix]) => `Stage ${n}${suffix}`),
  fc.constantFrom('Intro', 'Stages 1-2', 'Stage', 'stage 1', 'Notes on Stage 1'),
);

type Line = { kind: 'heading'; depth: number; title: string } | { kind: 'other'; text: string };

const other = (text: string): Line => ({ kind: 'other', text });

const block: fc.Arbitrary<readonly Line[]> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 6 }), title)
      .map(([depth, text]) => [{ kind: 'heading' as const, depth, title: text }]),
  },
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9 ,.]{0,30}$/).map((text) => [other(text)]) },
  { weight: 1, arbitrary: fc.constant([other('')]) },
  // Not headings: seven hashes, no space after the hashes.
  { weight: 1, arbitrary: fc.constantFrom('####### Stage 1', '#Stage 1').map((text) => [other(text)]) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('```', '~~~', '```md'),
        fc.array(fc.constantFrom('# Stage 1', '## Stage 10', 'x', '### Stage 2: y'), { maxLength: 3 }),
      )
      .map(([open, body]) => [open, ...body, open.slice(0, 3)].map(other)),
  },
);

/** A generated document, and the heading lines an independent reader finds in it. */
const document = fc
  .tuple(fc.array(block, { maxLength: 14 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([blocks, eol, final]) => {
    const lines = blocks.flat();
    let text = '';
    const headings: { depth: number; title: string; start: number }[] = [];
    lines.forEach((line, index) => {
      if (line.kind === 'heading') headings.push({ depth: line.depth, title: line.title, start: text.length });
      text += line.kind === 'heading' ? `${'#'.repeat(line.depth)} ${line.title}` : line.text;
      if (index < lines.length - 1 || final) text += eol;
    });
    return { text, headings };
  });

/** The oracle's section of `label`: from its heading to the next of the same or a higher level. */
function oracleSection(
  headings: readonly { depth: number; title: string; start: number }[],
  label: string,
  length: number,
): { start: number; end: number } | undefined {
  const index = headings.findIndex(
    (heading) =>
      heading.title === label || heading.title.startsWith(`${label}:`) || heading.title.startsWith(`${label} `),
  );
  const heading = headings[index];
  if (!heading) return undefined;
  const next = headings.slice(index + 1).find((later) => later.depth <= heading.depth);
  return { start: heading.start, end: next?.start ?? length };
}

const label = fc.oneof(
  fc.constantFrom(...NUMBERS).map((n) => ({ ref: `Stage ${n}`, from: `Stage ${n}`, to: undefined })),
  fc
    .tuple(fc.constantFrom(...NUMBERS), fc.constantFrom(...NUMBERS))
    .map(([a, b]) => ({ ref: `Stages ${a}-${b}`, from: `Stage ${a}`, to: `Stage ${b}` })),
  fc.constantFrom('Intro', 'Stage').map((text) => ({ ref: text, from: text, to: undefined })),
);

describe('fuzz: ref resolution against an independent reader', () => {
  it('returns exactly the oracle section, or a RefError naming the ref; Stage 1 is never Stage 10', () => {
    let found = 0;
    fc.assert(
      fc.property(document, label, ({ text, headings }, { ref: labelText, from, to }) => {
        const ref = `skill.md ${labelText}`;
        const outcome = returnsOrThrows(() => findSection(ref, parseRef(ref), text, parseMarkdown), RefError, REF);
        const first = oracleSection(headings, from, text.length);
        const last = to === undefined ? first : oracleSection(headings, to, text.length);
        if (outcome instanceof RefError) {
          expect(outcome.ref).toBe(ref);
          expect(outcome.message).toContain(`'${ref}'`);
          expect(first === undefined || last === undefined || last.start < first.start).toBe(true);
          return;
        }
        found += 1;
        expect(first && last).toBeTruthy();
        if (!first || !last) return;
        expect(outcome).toBe(text.slice(first.start, Math.max(first.end, last.end)));
        // The section starts with its own heading, never one whose number merely begins the same.
        const heading = /^#{1,6} ([^\r\n]*)/.exec(outcome)?.[1] ?? '';
        expect(heading).toMatch(new RegExp(`^${from}(?:$|[: ])`));
      }),
      { numRuns: PURE_RUNS },
    );
    console.log(`ref fuzz: ${found} of ${PURE_RUNS} refs resolved`);
    expect(found).toBeGreaterThan(PURE_RUNS / 10);
    expect(found).toBeLessThan(PURE_RUNS);
  });

  it('a ref without a label is the whole file, whatever the file holds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileText(200),
          document.map(({ text }) => text),
        ),
        (text) => {
          expect(findSection('skill.md', parseRef('skill.md'), text, parseMarkdown)).toBe(text);
        },
      ),
      { numRuns: PURE_RUNS / 3 },
    );
  });
});

describe('fuzz: arbitrary refs and documents', () => {
  const ref = fc.oneof(
    hostileText(40),
    fc
      .tuple(
        fc.constantFrom('skill.md', 'a/b.md', '../x.md', '/x.md', 'x.md.md', '.md', 'a\\..\\b.md'),
        hostileText(20),
      )
      .map(([file, rest]) => `${file}${rest}`),
    fc
      .tuple(fc.constantFrom('Stage', 'Step', 'Phase', 's', ''), hostileText(8), hostileText(8))
      .map(([word, a, b]) => `skill.md ${word}s ${a}-${b}`),
  );
  const markdown = fc.oneof(
    hostileText(300),
    fc.array(fc.oneof(hostileText(30), fc.constantFrom('# Stage 1', '## Stage 1: x', '```', '> # Stage 1')), {
      maxLength: 12,
    }),
  );

  it('parseRef gives a file inside the skills folder, or a RefError naming the ref', () => {
    fc.assert(
      fc.property(ref, (text) => {
        const outcome = returnsOrThrows(() => parseRef(text), RefError, REF);
        if (outcome instanceof RefError) {
          expect(outcome.ref).toBe(text);
          expect(outcome.message).toContain(`'${text}'`);
          return;
        }
        expect(outcome.file.endsWith('.md')).toBe(true);
        expect(outcome.file.startsWith('/') || outcome.file.split(/[\\/]/).includes('..')).toBe(false);
      }),
      { numRuns: PURE_RUNS },
    );
  });

  it('findSection gives a substring of the file, or a RefError naming the ref', () => {
    fc.assert(
      fc.property(
        markdown.map((text) => (Array.isArray(text) ? text.join('\n') : text)),
        ref,
        (text, refText) => {
          const outcome = returnsOrThrows(
            () => findSection(refText, parseRef(refText), text, parseMarkdown),
            RefError,
            REF,
          );
          if (outcome instanceof RefError) {
            expect(outcome.ref).toBe(refText);
            return;
          }
          expect(text.includes(outcome)).toBe(true);
        },
      ),
      { numRuns: PURE_RUNS },
    );
  });
});

describe('fuzz: long refs (catastrophic backtracking)', () => {
  /** The ref grammar as first written, with regular expressions that backtrack on long refs. */
  function firstParseRef(ref: string): unknown {
    const match = /^(\S+\.md)(?:\s+(.+?))?\s*$/.exec(ref);
    if (!match?.[1]) return undefined;
    const label = match[2];
    if (label === undefined) return { file: match[1] };
    const range = /^(\S+?)s\s+(\S+)\s*-\s*(\S+)$/.exec(label);
    if (!range) return { file: match[1], label };
    const [, word, from, to] = range;
    return { file: match[1], label, range: { from: `${word} ${from}`, to: `${word} ${to}` } };
  }

  it('parseRef reads every short ref as the first grammar did, trailing blanks aside', () => {
    const short = fc.oneof(
      hostileText(40).map((text) => `a.md ${text}`),
      fc
        .tuple(fc.constantFrom('a.md ', 'a.md\t', 'b/a.md  '), fc.stringMatching(/^[a-z0-9 \t\n-]{0,30}$/))
        .map(([file, rest]) => `${file}${rest}`),
    );
    fc.assert(
      fc.property(short, (ref) => {
        let parsed: unknown;
        try {
          parsed = parseRef(ref);
        } catch (error) {
          if (!(error instanceof RefError)) throw error;
        }
        const first = firstParseRef(ref) as { file: string; label?: string } | undefined;
        // The first grammar read two trailing blanks as a label of one blank: now no label.
        if (first?.label?.trim() === '') expect(parsed).toEqual({ file: first.file });
        else expect(parsed).toEqual(first);
      }),
      { numRuns: PURE_RUNS },
    );
  });

  it('parses and resolves refs of a few hundred thousand characters without hanging', () => {
    const long = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('skill.md ', 'skill.md as ', 'skill.md Stages 1', '.md'),
          longRun([' ', '-', ' -', '- ', 's ', 'x ', '.md', ' \t', 'a-b ']),
        )
        .map(([head, run]) => `${head}${run}`),
      // A range whose end fails late, after every split of the run has been tried.
      longRun(['-', 'a-', '--']).map((run) => `skill.md Stages ${run} x y`),
    );
    fc.assert(
      fc.property(long, (ref) => {
        const outcome = returnsOrThrows(
          () => findSection(ref, parseRef(ref), '# Stage 1\nx\n', parseMarkdown),
          RefError,
          REF,
        );
        if (outcome instanceof RefError) expect(outcome.ref).toBe(ref);
      }),
      { numRuns: LONG_RUNS },
    );
  });
});
