import { describe, expect, it } from 'vitest';
import { ScheduleSyntaxError, type Problem } from '../../src/errors.js';
import { parseSchedule, parseStepLine } from '../../src/schedule/parse.js';
import { REAL_SKILL, realSkillSuite, readTemplate, SKILL } from '../helpers.js';

/** Parses a line that must be valid and returns its fields. */
function fields(line: string) {
  const result = parseStepLine(line);
  if (!result.ok) throw new Error(`expected ${line} to parse: ${JSON.stringify(result.problems)}`);
  const { status, number, name, models, description, ref } = result.step;
  return { status, number, name, models, description, ref };
}

/** Parses a schedule that must be invalid and returns its problems. */
function problemsOf(text: string): readonly Problem[] {
  try {
    parseSchedule(text, 'schedule.md');
  } catch (error) {
    if (error instanceof ScheduleSyntaxError) return error.problems;
    throw error;
  }
  throw new Error('expected the schedule to be invalid');
}

describe('parseStepLine: valid lines', () => {
  it.each([
    {
      line: '[wait] 3. scan | glm -- file relevance scan (implement.md Stage 3)',
      want: {
        status: 'wait',
        number: 3,
        name: 'scan',
        models: ['glm'],
        description: 'file relevance scan',
        ref: 'implement.md Stage 3',
      },
    },
    {
      line: '[run] 4. section-loop | claude-opus,gpt-5.3-codex-high -- per-section (implement.md Stages 4-5)',
      want: {
        status: 'run',
        number: 4,
        name: 'section-loop',
        models: ['claude-opus', 'gpt-5.3-codex-high'],
        description: 'per-section',
        ref: 'implement.md Stages 4-5',
      },
    },
    {
      line: '[done] 7. promote | claude-opus -- review constraints/tradeoffs for project level',
      want: {
        status: 'done',
        number: 7,
        name: 'promote',
        models: ['claude-opus'],
        description: 'review constraints/tradeoffs for project level',
        ref: undefined,
      },
    },
    {
      // Parentheses inside the description stay in the description.
      line: '[fail] 2. align | opus -- check (the old) plan against goals (research.md Phase B)',
      want: {
        status: 'fail',
        number: 2,
        name: 'align',
        models: ['opus'],
        description: 'check (the old) plan against goals',
        ref: 'research.md Phase B',
      },
    },
    {
      // The ref is the last balanced group, nested parentheses included.
      line: '[skip] 9. x | m -- d (notes.md Step (a) b)',
      want: {
        status: 'skip',
        number: 9,
        name: 'x',
        models: ['m'],
        description: 'd',
        ref: 'notes.md Step (a) b',
      },
    },
    {
      // A group glued to a word is a call in the description, not a ref.
      line: '[wait] 1. call | m -- run main(argv)',
      want: {
        status: 'wait',
        number: 1,
        name: 'call',
        models: ['m'],
        description: 'run main(argv)',
        ref: undefined,
      },
    },
    {
      line: '[wait] 5. only-ref | m -- (evaluate.md)',
      want: { status: 'wait', number: 5, name: 'only-ref', models: ['m'], description: '', ref: 'evaluate.md' },
    },
    {
      line: '[wait] 6. empty | m -- ',
      want: { status: 'wait', number: 6, name: 'empty', models: ['m'], description: '', ref: undefined },
    },
    {
      // The name ends at the first ' | ', the models at the first ' -- '.
      line: '[wait] 8. two words | a,b.c_d -- x | y -- z (r)',
      want: {
        status: 'wait',
        number: 8,
        name: 'two words',
        models: ['a', 'b.c_d'],
        description: 'x | y -- z',
        ref: 'r',
      },
    },
    {
      line: `[wait] ${Number.MAX_SAFE_INTEGER}. big | m -- d`,
      want: {
        status: 'wait',
        number: Number.MAX_SAFE_INTEGER,
        name: 'big',
        models: ['m'],
        description: 'd',
        ref: undefined,
      },
    },
  ])('$line', ({ line, want }) => {
    expect(fields(line)).toEqual(want);
  });

  it('keeps trailing spaces out of the ref and the description', () => {
    const result = parseStepLine('[wait] 1. a | m -- d (r)  \t');
    expect(result.ok && [result.step.description, result.step.ref, result.step.trailing]).toEqual(['d', 'r', '  \t']);
  });
});

describe('parseStepLine: malformed lines', () => {
  it.each([
    { line: '[WAIT] 1. a | m -- d', column: 2, expected: 'a status', found: "'WAIT'" },
    { line: '[pending] 1. a | m -- d', column: 2, expected: 'a status', found: "'pending'" },
    { line: '[wait]1. a | m -- d', column: 7, expected: 'a space after the status marker', found: "'1'" },
    { line: '[wait] x. a | m -- d', column: 8, expected: 'a step number', found: "'x'" },
    { line: '[wait] . a | m -- d', column: 8, expected: 'a step number', found: "'.'" },
    { line: '[wait] 0. a | m -- d', column: 8, expected: 'without leading zeros', found: "'0'" },
    { line: '[wait] 007. a | m -- d', column: 8, expected: 'without leading zeros', found: "'007'" },
    {
      line: '[wait] 9007199254740993. a | m -- d',
      column: 8,
      expected: 'no larger than 9007199254740991',
      found: "'9007199254740993'",
    },
    { line: '[wait] 1 a | m -- d', column: 9, expected: "'. ' after the step number", found: "' a'" },
    { line: '[wait] 1. a m -- d', column: 11, expected: "followed by ' | '", found: "'a m -- d'" },
    { line: '[wait] 1. | m -- d', column: 11, expected: 'a step name', found: 'nothing' },
    { line: '[wait] 1.  a | m -- d', column: 11, expected: 'without surrounding spaces', found: "' a'" },
    { line: '[wait] 1. a | m', column: 15, expected: "followed by ' -- '", found: "'m'" },
    { line: '[wait] 1. a | m --', column: 15, expected: "followed by ' -- '", found: "'m --'" },
    { line: '[wait] 1. a | m, n -- d', column: 17, expected: 'a model name', found: "' n'" },
    { line: '[wait] 1. a | m,,n -- d', column: 17, expected: 'a model name', found: 'nothing' },
    { line: '[wait] 1. a | ../etc -- d', column: 15, expected: 'a model name', found: "'../etc'" },
    { line: '[wait] 1. a | m --  d', column: 20, expected: 'a description after one space', found: "' '" },
    {
      line: '[wait] 1. a | m -- d x)',
      column: 23,
      expected: "a '(' matching this ')'",
      found: 'unbalanced parentheses',
    },
    { line: '[wait] 1. a | m -- d ( )', column: 23, expected: 'a ref inside ( )', found: "' '" },
    // `workflow parse` removes a `<digits>:` prefix and nothing else (DESIGN.md §3).
    {
      line: ' [wait] 3. scan | glm -- d',
      column: 1,
      expected: 'a step line starting in column 0',
      found: "1 leading space before '[wait]'",
    },
  ])('$line -> column $column', ({ line, column, expected, found }) => {
    const result = parseStepLine(line);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    const [problem] = result.problems;
    expect(problem?.column).toBe(column);
    expect(problem?.expected).toContain(expected);
    expect(problem?.found).toBe(found);
  });
});

const TEMPLATES = ['implement-proposal.md', 'rca-cycle.md', 'research-cycle.md'];

/** Parses skill template `name` and checks that every step line, and nothing else, became a step. */
async function expectWholeTemplateParsed(name: string, skill: string): Promise<void> {
  const text = await readTemplate(name, skill);
  const schedule = parseSchedule(text, name);
  const stepLines = text.split('\n').filter((line) => line.startsWith('['));
  expect(schedule.steps.map((step) => step.text)).toEqual(stepLines);
  expect(schedule.steps.map((step) => step.number)).toEqual(stepLines.map((_, index) => index + 1));
  for (const step of schedule.steps) {
    expect(step.status).toBe('wait');
    expect(text.split('\n')[step.line - 1]).toBe(step.text);
    expect(text.slice(step.offset, step.offset + step.text.length)).toBe(step.text);
  }
}

describe.skipIf(REAL_SKILL === undefined)(realSkillSuite('parseSchedule on the public skill'), () => {
  it.each(TEMPLATES)('parses every line of its template %s', async (name) => {
    await expectWholeTemplateParsed(name, REAL_SKILL ?? '');
  });
});

describe('parseSchedule', () => {
  it.each(TEMPLATES)("parses every line of the test skill's template %s", async (name) => {
    await expectWholeTemplateParsed(name, SKILL);
  });

  it('reads the refs of the implement-proposal template, and its step without a ref', async () => {
    const schedule = parseSchedule(await readTemplate('implement-proposal.md'));
    expect(schedule.steps.map((step) => step.ref)).toEqual([
      'implement.md Stage 1',
      'implement.md Stage 2',
      'implement.md Stage 3',
      'implement.md Stages 4-5',
      'implement.md Stage 6',
      'implement.md Stage 7',
      undefined,
    ]);
    expect(schedule.steps[3]?.models).toEqual(['claude-opus', 'gpt-5.3-codex-high']);
    expect(schedule.steps[2]?.description).toBe('match files to sections');
    // Parentheses inside the description stay there; only the last group is the ref.
    expect(schedule.steps[4]?.description).toBe('rules audit (constraints), lint and tests');
  });

  it('never reads a step inside a fenced code block', () => {
    const text = [
      '# Schedule: fences',
      '[wait] 1. real | m -- d',
      '```markdown',
      '[wait] 2. example | m -- inside a fence',
      '[bogus] not a step either',
      '```',
      '~~~~',
      '[wait] 3. tilde | m -- inside a tilde fence',
      '```',
      '[wait] 4. still | m -- a shorter fence of another kind does not close it',
      '~~~~',
      '[wait] 5. after | m -- d',
      '- list item',
      '  ```',
      '[wait] 6. out | m -- a column-0 line ends the list item and its fence',
      '  ```',
      '',
    ].join('\n');
    expect(parseSchedule(text).steps.map((step) => [step.number, step.line])).toEqual([
      [1, 2],
      [5, 12],
      [6, 15],
    ]);
  });

  it('treats an unclosed fence as running to the end of the file', () => {
    const text = '[wait] 1. a | m -- d\n```\n[wait] 2. b | m -- d\n';
    expect(parseSchedule(text).steps.map((step) => step.number)).toEqual([1]);
  });

  it('keeps line numbers and offsets exact with CRLF line endings', () => {
    const text = '# S\r\n\r\n[wait] 1. a | m -- d (r)\r\n[done] 2. b | m -- e\r\n';
    const schedule = parseSchedule(text);
    expect(schedule.steps.map((step) => [step.line, step.text, step.ref])).toEqual([
      [3, '[wait] 1. a | m -- d (r)', 'r'],
      [4, '[done] 2. b | m -- e', undefined],
    ]);
  });

  it('ignores prose, headings and link definitions that are not step candidates', () => {
    const text = ['# Schedule', 'Some prose [wait] here.', '[docs]: https://example.com', ' [note] indented', ''].join(
      '\n',
    );
    expect(parseSchedule(text).steps).toEqual([]);
  });

  // Issue 10: ' [wait] 3. scan | glm -- ...' vanished from every verb. A status marker after
  // spaces or tabs is an error naming the line, wherever markdown would put the line.
  it.each([
    { indent: ' ', found: "1 leading space before '[wait]'" },
    { indent: '  ', found: "2 leading spaces before '[wait]'" },
    { indent: '\t', found: "1 leading tab before '[wait]'" },
    { indent: '    ', found: "4 leading spaces before '[wait]'" },
    { indent: ' \t', found: "2 leading spaces and tabs before '[wait]'" },
  ])('refuses a step line indented with $found, with or without a fence in the file', ({ indent, found }) => {
    const lines = ['# Schedule', '', '[wait] 1. a | m -- d', '', `${indent}[wait] 3. scan | glm -- relevance scan`, ''];
    const problem = {
      file: 'schedule.md',
      line: 5,
      column: 1,
      expected: 'a step line starting in column 0',
      found,
    };
    expect(problemsOf(lines.join('\n'))).toEqual([problem]);
    // A fence elsewhere must not turn an indented line into a silently ignored code block.
    expect(problemsOf([...lines, '```', '[wait] 9. example | m -- d', '```', ''].join('\n'))).toEqual([problem]);
  });

  it('keeps an indented status line inside a fenced block as prose', () => {
    const text = ['[wait] 1. a | m -- d', '', '```', '  [wait] 3. scan | glm -- x', '```', ''].join('\n');
    expect(parseSchedule(text).steps.map((step) => step.number)).toEqual([1]);
  });

  it('reports every problem at once, in file order, with file, line and column', () => {
    const text = ['[wait] 1. a | m -- d', '[wiat] 2. b | m -- d', '[wait] 3. c | m', '[wait] x. d | m -- d', ''].join(
      '\n',
    );
    expect(problemsOf(text).map((p) => [p.file, p.line, p.column])).toEqual([
      ['schedule.md', 2, 2],
      ['schedule.md', 3, 15],
      ['schedule.md', 4, 8],
    ]);
  });

  it('names both lines of a duplicate step number', () => {
    const problems = problemsOf('[wait] 1. a | m -- d\n\n[wait] 1. b | m -- d\n');
    expect(problems).toEqual([
      {
        file: 'schedule.md',
        line: 3,
        column: 8,
        expected: 'a step number not used before',
        found: '1, already used on line 1',
      },
    ]);
  });
});

describe('parseSchedule: attributes', () => {
  it('reads every attribute directly under a step', () => {
    const text = [
      '[wait] 1. a | m -- d',
      '[wait] 2. b | m -- d',
      '[wait] 3. c | m -- d',
      '  - needs: 1, 2',
      '  - when: always',
      '  * blocks: x, y.z, w_1',
      '\t- retries: 2',
      '  - backoff: 1.5s',
      '  - timeout: 30m',
      '  - stall: 250ms',
      '',
      '  - not: an attribute, after a blank line it is prose',
    ].join('\n');
    expect(parseSchedule(text).steps[2]?.attributes).toEqual({
      needs: [1, 2],
      when: 'always',
      blocks: ['x', 'y.z', 'w_1'],
      retries: 2,
      backoffMs: 1500,
      timeoutMs: 1_800_000,
      stallMs: 250,
    });
  });

  it('reads needs: none as no needs', () => {
    const schedule = parseSchedule('[wait] 1. a | m -- d\n[wait] 2. b | m -- d\n  - needs: none\n');
    expect(schedule.steps[1]?.attributes.needs).toEqual([]);
  });

  it.each([
    { item: '  - neds: 1', column: 5, expected: 'an attribute', found: "'neds'" },
    { item: '  - a free note', column: 5, expected: 'an attribute', found: "'a free note'" },
    { item: '  - needs: 1, x', column: 15, expected: 'step numbers', found: "'x'" },
    { item: '  - needs: 7', column: 12, expected: 'numbers of other steps', found: 'step 7, which does not exist' },
    { item: '  - needs: 2', column: 12, expected: 'numbers of other steps', found: 'step 2 itself' },
    // Found by test/fuzz/attributes.test.ts: a missing step named twice was two problems.
    { item: '  - needs: 9, 9', column: 12, expected: 'numbers of other steps', found: 'step 9, which does not exist' },
    { item: '  - when: sometimes', column: 11, expected: "'success', 'failure' or 'always'", found: "'sometimes'" },
    { item: '  - blocks: a, a', column: 16, expected: 'distinct block names', found: "'a' twice" },
    { item: '  - blocks: a/b', column: 13, expected: 'block names', found: "'a/b'" },
    { item: '  - retries: -1', column: 14, expected: 'a whole number', found: "'-1'" },
    { item: '  - timeout: 30', column: 14, expected: 'a duration', found: "'30'" },
    { item: '  - stall: 0s', column: 12, expected: 'a duration', found: "'0s'" },
    { item: '  - backoff: 5 s', column: 14, expected: 'a duration', found: "'5 s'" },
    { item: '  - timeout:', column: 13, expected: 'a duration', found: 'nothing' },
    { item: '  - verify:', column: 12, expected: 'a shell command', found: 'nothing' },
    { item: '  - verify: a\u0001b', column: 14, expected: 'without control characters', found: '\\x01' },
  ])('$item -> column $column', ({ item, column, expected, found }) => {
    const problems = problemsOf(`[wait] 1. a | m -- d\n[wait] 2. b | m -- d\n${item}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 3, column, found });
    expect(problems[0]?.expected).toContain(expected);
  });

  it('refuses an attribute given twice', () => {
    const problems = problemsOf('[wait] 1. a | m -- d\n  - retries: 1\n  - retries: 2\n');
    expect(problems[0]).toMatchObject({ line: 3, found: "a second 'retries'" });
  });

  it('keeps every verify: of a step, in order: the one attribute that may be repeated', () => {
    const text = '[wait] 1. a | m -- d\n  - verify: npm test\n  - retries: 1\n  - verify:  npm run lint -- src/ \n';
    expect(parseSchedule(text).steps[0]?.attributes).toEqual({
      verify: ['npm test', 'npm run lint -- src/'],
      retries: 1,
    });
  });

  it('finds a cycle through explicit and default needs', () => {
    const problems = problemsOf('[wait] 1. a | m -- d\n  - needs: 2\n[wait] 2. b | m -- d\n');
    expect(problems).toEqual([
      { file: 'schedule.md', line: 2, column: 12, expected: 'needs without a cycle', found: 'the cycle 1 -> 2 -> 1' },
    ]);
  });
});
