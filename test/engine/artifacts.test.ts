import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attemptFiles, AttemptNumbers, highestAttempt } from '../../src/engine/artifacts.js';
import { makeTree } from '../helpers.js';

describe('attempt artifacts', () => {
  it('names each attempt’s files and the latest names', () => {
    expect(attemptFiles('/p/artifacts', 'step-2-block-a', 3)).toEqual({
      prompt: '/p/artifacts/step-2-block-a-attempt-3-prompt.md',
      output: '/p/artifacts/step-2-block-a-attempt-3-output.md',
      verify: '/p/artifacts/step-2-block-a-attempt-3-verify.txt',
      latestPrompt: '/p/artifacts/step-2-block-a-prompt.md',
      latestOutput: '/p/artifacts/step-2-block-a-output.md',
    });
  });

  it.each([
    ['none', [], 'step-1', 0],
    ['its own files', ['step-1-attempt-1-output.md', 'step-1-attempt-12-prompt.md', 'step-1-output.md'], 'step-1', 12],
    ['not a block’s or step 10’s', ['step-1-block-a-attempt-3-output.md', 'step-10-attempt-4-output.md'], 'step-1', 0],
    ['a block’s own', ['step-1-block-a-attempt-3-output.md'], 'step-1-block-a', 3],
    ['not other names', ['step-1-attempt-x-output.md', 'step-1-attempt-2-output.md.tmp'], 'step-1', 0],
    ['exception handler runs', ['exception-2-attempt-2-prompt.md'], 'exception-2', 2],
  ])('highestAttempt: %s', (_, names, stem, highest) => {
    expect(highestAttempt(names, stem)).toBe(highest);
  });

  it('numbers on from the files a run finds, per stem', async () => {
    const root = await makeTree({});
    const artifacts = join(root, 'artifacts');
    await mkdir(artifacts);
    await writeFile(join(artifacts, 'step-1-attempt-2-output.md'), '');
    const numbers = new AttemptNumbers(artifacts);
    expect([numbers.next('step-1'), numbers.next('step-1'), numbers.next('step-2')]).toEqual([3, 4, 1]);
    expect(new AttemptNumbers(join(root, 'missing')).next('step-1')).toBe(1);
  });
});
