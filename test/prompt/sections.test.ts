import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../src/schedule/parse.js';
import { headingMatches, parseRef, RefError } from '../../src/prompt/sections.js';
import { readSkillSection } from '../../src/prompt/skill.js';
import { linesBetween, makeTree, REAL_SKILL, realSkillSuite, readTemplate, SKILL } from '../helpers.js';

const TEMPLATES = ['implement-proposal.md', 'rca-cycle.md', 'research-cycle.md'];

/** The text of the public skill's `file` from its line `from` (1-based) up to, not including, line `to`. */
async function lines(file: string, from: number, to?: number): Promise<string> {
  const text = await readFile(join(REAL_SKILL ?? '', file), 'utf8');
  return `${text
    .split('\n')
    .slice(from - 1, to === undefined ? undefined : to - 1)
    .join('\n')}${to === undefined ? '' : '\n'}`;
}

describe('parseRef', () => {
  it.each([
    ['implement.md', { file: 'implement.md' }],
    ['implement.md Stage 1', { file: 'implement.md', label: 'Stage 1' }],
    ['rca.md Step 2', { file: 'rca.md', label: 'Step 2' }],
    [
      'implement.md Stages 4-5',
      { file: 'implement.md', label: 'Stages 4-5', range: { from: 'Stage 4', to: 'Stage 5' } },
    ],
    ['research.md Phase A', { file: 'research.md', label: 'Phase A' }],
    ['sub/dir.md Part B', { file: 'sub/dir.md', label: 'Part B' }],
  ])('%s', (ref, want) => {
    expect(parseRef(ref)).toEqual(want);
  });

  it.each(['Stage 1', 'implement Stage 1', '../secret.md', '/etc/passwd.md Stage 1', 'a/../../b.md'])(
    'refuses %s',
    (ref) => {
      expect(() => parseRef(ref)).toThrow(RefError);
    },
  );
});

describe('headingMatches', () => {
  it.each([
    ['Stage 1', 'Stage 1', true],
    ['Stage 1: Section Decomposition (Recursive)', 'Stage 1', true],
    ['Stage 1 (optional)', 'Stage 1', true],
    ['Stage 10: Later', 'Stage 1', false],
    ['Stage 1a', 'Stage 1', false],
    ['Setup', 'Setup', true],
    ['Setup steps', 'Setup', true],
    ['Setups', 'Setup', false],
  ])('%s ~ %s: %s', (heading, label, want) => {
    expect(headingMatches(heading, label)).toBe(want);
  });
});

describe("readSkillSection on the tests' own skill", () => {
  const read = (file: string): Promise<string> => readFile(join(SKILL, file), 'utf8');

  it('resolves every ref of its three templates', async () => {
    for (const name of TEMPLATES) {
      for (const step of parseSchedule(await readTemplate(name)).steps) {
        if (step.ref === undefined) continue;
        const section = await readSkillSection(SKILL, step.ref);
        expect(section.length, step.ref).toBeGreaterThan(0);
      }
    }
  });

  it('reads Stage 1 from its heading up to Stage 2, verbatim, and never the Stage 10 before it', async () => {
    const section = await readSkillSection(SKILL, 'implement.md Stage 1');
    expect(section).toBe(linesBetween(await read('implement.md'), '## Stage 1:', '## Stage 2:'));
    expect(section).toContain('#### When to stop cutting');
    expect(section).not.toContain('Stage 10');
  });

  it('reads Stages 4-5 as Stage 4 through Stage 5 and nothing of Stage 6', async () => {
    const section = await readSkillSection(SKILL, 'implement.md Stages 4-5');
    expect(section).toBe(linesBetween(await read('implement.md'), '## Stage 4:', '## Stage 6:'));
    expect(section).toContain('## Stage 5: Build it');
    expect(section).not.toContain('Stage 6');
  });

  it('never takes a # line inside a fenced code block for a heading', async () => {
    const section = await readSkillSection(SKILL, 'rca.md Step 1');
    expect(section).toBe(linesBetween(await read('rca.md'), '### Step 1:', '### Step 2:'));
    expect(section).toContain('# Root cause: <failing test file>');
    expect(section).toContain('## What to write');
  });

  it('reads a whole file for a ref without a label', async () => {
    expect(await readSkillSection(SKILL, 'evaluate.md')).toBe(await read('evaluate.md'));
  });
});

describe.skipIf(REAL_SKILL === undefined)(realSkillSuite('readSkillSection on the public skill'), () => {
  const skill = REAL_SKILL ?? '';

  it('resolves every ref of the three real templates', async () => {
    for (const name of TEMPLATES) {
      for (const step of parseSchedule(await readTemplate(name, skill)).steps) {
        if (step.ref === undefined) continue;
        const section = await readSkillSection(skill, step.ref);
        expect(section.length, step.ref).toBeGreaterThan(0);
      }
    }
  });

  it('reads Stage 1 from its heading up to Stage 2, verbatim', async () => {
    expect(await readSkillSection(skill, 'implement.md Stage 1')).toBe(await lines('implement.md', 175, 266));
  });

  it('reads Stages 4-5 as Stage 4 through Stage 5 and nothing of Stage 6', async () => {
    const section = await readSkillSection(skill, 'implement.md Stages 4-5');
    expect(section).toBe(await lines('implement.md', 633, 687));
    expect(section).toContain('## Stage 4: Solution');
    expect(section).toContain('## Stage 5: Plan + Implement');
    expect(section).not.toContain('Stage 6');
  });

  it('never takes a # line inside a fenced code block for a heading', async () => {
    // rca.md Step 1 holds a fenced prompt with its own '# Root Cause Analysis' and '## ...' lines.
    const section = await readSkillSection(skill, 'rca.md Step 1');
    expect(section).toBe(await lines('rca.md', 41, 87));
    expect(section).toContain('# Root Cause Analysis: <failing test file>');
  });

  it('reads a whole file for a ref without a label', async () => {
    expect(await readSkillSection(skill, 'evaluate.md')).toBe(await readFile(join(skill, 'evaluate.md'), 'utf8'));
  });
});

describe('readSkillSection errors', () => {
  it('names the ref and the headings that exist', async () => {
    const skills = await makeTree({ 'guide.md': '# Guide\n\n## Stage 1: A\n\ntext\n\n## Stage 10: J\n' });
    const error = await readSkillSection(skills, 'guide.md Stage 2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefError);
    expect((error as Error).message).toBe(
      "ref 'guide.md Stage 2': guide.md has no heading 'Stage 2'; its headings: # Guide; ## Stage 1: A; ## Stage 10: J",
    );
    expect(await readSkillSection(skills, 'guide.md Stage 1')).toBe('## Stage 1: A\n\ntext\n\n');
  });

  it('names a missing file and the files the folder has', async () => {
    const skills = await makeTree({ 'a.md': '# A\n', 'b.md': '# B\n', 'notes.txt': 'x' });
    await expect(readSkillSection(skills, 'c.md Stage 1')).rejects.toThrow(
      `ref 'c.md Stage 1': no file c.md in ${skills}; it has: a.md, b.md`,
    );
  });
});
