/**
 * The judge's prompt: every candidate's fields, diffs cut to a shared budget of UTF-8 bytes
 * (eligible candidates first, unused shares passed on), each cut said, and no cut inside a
 * character.
 */
import { describe, expect, it } from 'vitest';
import {
  buildJudgePrompt,
  cutUtf8,
  DEFAULT_JUDGE_BUDGET_BYTES,
  diffAllowances,
  fence,
  shareBudget,
  SIDE_TEXT_MAX_BYTES,
  type JudgeCandidate,
} from '../../src/candidates/judge-prompt.js';

/** A candidate with a diff of `diff`, eligible unless said. */
function candidate(k: number, diff: string, fields: Partial<JudgeCandidate> = {}): JudgeCandidate {
  return {
    k,
    model: `model-${k}`,
    eligible: true,
    reason: null,
    verify: 'passed',
    durationMs: 12_300,
    summary: `summary of ${k}`,
    diffStat: ` file-${k}.txt | 1 +\n 1 file changed, 1 insertion(+)\n`,
    diff,
    ...fields,
  };
}

/** The text of candidate k's diff block in `prompt`: between its `diff fence line and the closing fence. */
function diffBlock(prompt: string, k: number): string {
  const section = prompt.slice(prompt.indexOf(`### Candidate ${k}:`));
  const start = section.indexOf('Its diff against the base:');
  const open = /(`{3,})diff\n/.exec(section.slice(start));
  if (!open) throw new Error(`no diff block for candidate ${k}`);
  const from = start + open.index + open[0].length;
  return section.slice(from, section.indexOf(`\n${open[1]}`, from - 1) + 1);
}

/** A diff of `lines` lines of `width` ASCII bytes each (newline included). */
function asciiDiff(lines: number, width = 50): string {
  return Array.from({ length: lines }, (_, i) => `+${String(i).padStart(width - 2, '.')}\n`).join('');
}

describe('shareBudget', () => {
  it.each([
    [[50, 400, 400], 300, [50, 125, 125]],
    [[10, 20], 300, [10, 20]],
    [[400, 400, 400], 300, [100, 100, 100]],
    [[0, 1000], 100, [0, 100]],
    [[], 100, []],
  ])('sizes %j, budget %i: %j', (sizes, budget, shares) => {
    expect(shareBudget(sizes, budget)).toEqual(shares);
  });
});

describe('diffAllowances', () => {
  it('gives eligible candidates the budget first, the others what is left', () => {
    const all = [
      candidate(1, 'x'.repeat(1000), { eligible: false, reason: 'exit code 1' }),
      candidate(2, 'y'.repeat(1000)),
      candidate(3, 'z'.repeat(100)),
    ];
    // Eligible 2 and 3 share 1000: 3 takes 100, 2 gets 900; 1 gets nothing.
    expect(diffAllowances(all, 1000)).toEqual(
      new Map([
        [1, 0],
        [2, 900],
        [3, 100],
      ]),
    );
    // With room to spare, the ineligible one gets the rest.
    expect(diffAllowances(all, 1600).get(1)).toBe(500);
  });
});

describe('cutUtf8', () => {
  it('keeps a text that fits whole', () => {
    expect(cutUtf8('héllo', 6)).toEqual({ text: 'héllo', shownBytes: 6, totalBytes: 6 });
  });

  it('never cuts inside a multi-byte character', () => {
    // 'é' is 2 bytes, '€' 3, '😀' 4: every limit must end on a character boundary.
    const text = 'aé€😀b'.repeat(3);
    const total = Buffer.byteLength(text);
    for (let limit = 0; limit < total; limit += 1) {
      const cut = cutUtf8(text, limit);
      expect(cut.shownBytes).toBeLessThanOrEqual(limit);
      expect(Buffer.byteLength(cut.text)).toBe(cut.shownBytes);
      expect(text.startsWith(cut.text)).toBe(true);
      expect(cut.text).not.toContain('\uFFFD');
      // Only one character could have been dropped at the cut: at most 3 bytes short.
      expect(limit - cut.shownBytes).toBeLessThanOrEqual(3);
    }
  });

  it('ends at a line end near the limit', () => {
    const text = 'first line\nsecond line\n';
    expect(cutUtf8(text, 15).text).toBe('first line\n');
  });
});

describe('fence', () => {
  it('uses a fence longer than any run of backticks inside', () => {
    expect(fence('a ```` b', 'diff')).toBe('`````diff\na ```` b\n`````');
    expect(fence('plain\n')).toBe('```\nplain\n```');
  });
});

describe('buildJudgePrompt', () => {
  it('holds the agent body, the task, and every field of every candidate', () => {
    const prompt = buildJudgePrompt('# Judge\nYou judge.\n', {
      task: 'Add a --json flag to `workflow status`.',
      candidates: [
        candidate(2, '+two\n', { model: 'codex-high', verify: 'none', durationMs: 250_000, summary: null }),
        candidate(1, '+one\n', { model: 'claude-opus', durationMs: 850 }),
        candidate(3, '+three\n', {
          model: 'glm',
          eligible: false,
          reason: 'verify failed: npm test',
          verify: 'failed',
          durationMs: null,
          diffStat: '',
          diff: '',
        }),
      ],
    });
    expect(prompt.startsWith('# Judge\nYou judge.\n\n## The task\n')).toBe(true);
    expect(prompt).toContain('Add a --json flag to `workflow status`.');
    expect(prompt).toContain('3 candidates ran. Eligible (may be picked): 1, 2. Not eligible: 3.');
    // k order, whatever order they were given in.
    const at = (k: number): number => prompt.indexOf(`### Candidate ${k}:`);
    expect(at(1)).toBeGreaterThan(0);
    expect(at(1)).toBeLessThan(at(2));
    expect(at(2)).toBeLessThan(at(3));
    expect(prompt).toContain('### Candidate 1: eligible\n\n- Model: claude-opus\n');
    expect(prompt).toContain('- Duration: 850 ms');
    expect(prompt).toContain('summary of 1');
    expect(prompt).toContain(' file-1.txt | 1 +\n 1 file changed, 1 insertion(+)\n');
    expect(diffBlock(prompt, 1)).toBe('+one\n');
    expect(prompt).toContain('### Candidate 2: eligible\n\n- Model: codex-high\n');
    expect(prompt).toContain('- Verification: none (the step has no `verify:` commands)');
    expect(prompt).toContain('- Duration: 4 min 10 s');
    expect(prompt).toContain('(it sent no `done:` report)');
    expect(prompt).toContain('### Candidate 3: NOT eligible, may not be picked: verify failed: npm test');
    expect(prompt).toContain('- Verification: FAILED');
    expect(prompt).toContain('- Duration: unknown');
    expect(prompt).toContain('(no files changed)');
    expect(prompt).toContain('(no changes)');
    expect(prompt).not.toContain(' cut: ');
    expect(prompt).toMatch(/PICK: <k> <reason> {5}\(k one of 1, 2\)\n {4}PICK: none <reason>.*\n$/);
  });

  it('cuts diffs to the default budget of 200 KiB, shared fairly, and says each cut', () => {
    // 1 small diff and 2 of 300 KB: the small one is whole, the big ones share what it leaves.
    const small = asciiDiff(100); // 5,000 bytes
    const big = asciiDiff(6000); // 300,000 bytes
    const prompt = buildJudgePrompt('judge', {
      task: 't',
      candidates: [candidate(1, small), candidate(2, big), candidate(3, big)],
    });
    expect(DEFAULT_JUDGE_BUDGET_BYTES).toBe(204_800);
    expect(diffBlock(prompt, 1)).toBe(small);
    const share = Math.floor((204_800 - 5000) / 2); // 99,900: cut back to a whole line of 50 bytes
    for (const k of [2, 3]) {
      const shown = diffBlock(prompt, k);
      expect(big.startsWith(shown)).toBe(true);
      expect(shown.length).toBe(Math.floor(share / 50) * 50);
      expect(prompt).toContain(
        `\n[diff of candidate ${k} cut: ${shown.length.toLocaleString('en-US')} of 300,000 bytes shown]\n`,
      );
    }
    expect(prompt).not.toContain('[diff of candidate 1 cut');
  });

  it('honours budgetBytes and counts UTF-8 bytes, cutting only between characters', () => {
    // Lines of 1,502 bytes: too long to cut at a line end, so the cut falls among 3-byte characters.
    const diff = `+${'€'.repeat(500)}\n`.repeat(3);
    const total = Buffer.byteLength(diff);
    const prompt = buildJudgePrompt('judge', { task: 't', candidates: [candidate(1, diff)], budgetBytes: 1001 });
    // 1 + 3 * 333 = 1,000 bytes: byte 1,001 would split the 334th '€'. The block adds a newline.
    expect(diffBlock(prompt, 1)).toBe(`+${'€'.repeat(333)}\n`);
    const bytes = 1000;
    expect(prompt).toContain(
      `[diff of candidate 1 cut: ${bytes.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} bytes shown]`,
    );
    expect(prompt).toContain('share a budget of 1,001 bytes');
  });

  it('keeps a diff that holds code fences inside its own block', () => {
    const diff = '+```js\n+code\n+```\n';
    const prompt = buildJudgePrompt('judge', { task: 'write ```docs```', candidates: [candidate(1, diff)] });
    expect(diffBlock(prompt, 1)).toBe(diff);
    expect(prompt).toContain('````markdown\nwrite ```docs```\n````');
  });

  it('cuts a long summary and --stat on their own, and keeps a reason on its heading line', () => {
    const prompt = buildJudgePrompt('judge', {
      task: 't',
      candidates: [
        candidate(1, '+x\n', {
          eligible: false,
          reason: 'verify failed: npm test\n  FAIL a.test.ts\n',
          summary: 's'.repeat(20_000),
          diffStat: ' f.txt | 1 +\n'.repeat(2000),
        }),
      ],
    });
    expect(prompt).toContain(
      '### Candidate 1: NOT eligible, may not be picked: verify failed: npm test FAIL a.test.ts\n',
    );
    expect(prompt).toContain(
      `[summary of candidate 1 cut: ${SIDE_TEXT_MAX_BYTES.toLocaleString('en-US')} of 20,000 bytes shown]`,
    );
    expect(prompt).toMatch(/\[diff --stat of candidate 1 cut: [\d,]+ of 26,000 bytes shown\]/);
  });

  it('with no eligible candidate, asks for PICK: none only', () => {
    const prompt = buildJudgePrompt('judge', {
      task: 't',
      candidates: [candidate(1, '+x\n', { eligible: false, reason: 'exit code 1', verify: null })],
    });
    expect(prompt).toContain('Eligible (may be picked): none (answer `PICK: none <reason>`). Not eligible: 1.');
    expect(prompt).toContain('- Verification: not run');
    expect(prompt).not.toContain('PICK: <k>');
  });
});
