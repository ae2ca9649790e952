/**
 * How a failed verification is told: the attempt's reason and the prompts' "Verification
 * failed" section. Pure.
 */
import { describe, expect, it } from 'vitest';
import { lastLines, verificationSection, verifyReason, type VerifyFailure } from '../../src/verify/failure.js';

const FAILED: VerifyFailure = {
  command: 'npm test',
  exitCode: 1,
  signal: undefined,
  timedOut: false,
  output: '2 tests failed\n```\n## not a heading',
  file: '/p/artifacts/step-2-attempt-1-verify.txt',
};

describe('verifyReason', () => {
  it.each([
    ['an exit code', FAILED, 'verify failed: npm test (exit 1)'],
    [
      'a timeout',
      { ...FAILED, exitCode: undefined, signal: 'SIGTERM', timedOut: true, timeoutMs: 90_000 },
      'verify failed: npm test (timeout after 90s)',
    ],
    ['a signal', { ...FAILED, exitCode: undefined, signal: 'SIGKILL' }, 'verify failed: npm test (killed by SIGKILL)'],
    [
      'no start',
      { ...FAILED, exitCode: undefined, failedToStart: 'spawn /bin/sh ENOENT' },
      'verify failed: npm test (could not start: spawn /bin/sh ENOENT)',
    ],
  ])('%s', (_, failure, reason) => {
    expect(verifyReason(failure)).toBe(reason);
  });
});

describe('lastLines', () => {
  it('keeps the last lines; a final newline starts no empty line', () => {
    expect(lastLines('1\n2\n3\n', 2)).toBe('2\n3');
    expect(lastLines('1\n2', 5)).toBe('1\n2');
    expect(lastLines('', 5)).toBe('');
  });
});

describe('verificationSection', () => {
  it('is empty without a failure', () => {
    expect(verificationSection([], 2)).toBe('');
  });

  it('shows the command, its end and its output indented, so that no output line can end the block', () => {
    const section = verificationSection([FAILED], 2);
    expect(section.startsWith('\n## Verification failed\n\n')).toBe(true);
    expect(section).toContain('\n    $ npm test\n    exit 1\n');
    expect(section).toContain('\n    2 tests failed\n    ```\n    ## not a heading\n');
    expect(section).toContain('(all of it: `/p/artifacts/step-2-attempt-1-verify.txt`)');
    expect(section.endsWith('\n')).toBe(true);
  });

  it('names each failed block under a heading of the level asked for', () => {
    const section = verificationSection(
      [
        { ...FAILED, block: 'a' },
        { ...FAILED, block: 'b', output: '' },
      ],
      3,
    );
    expect(section.match(/^### .*$/gm)).toEqual([
      '### Verification failed (block a)',
      '### Verification failed (block b)',
    ]);
    expect(section).toContain('    (no output)\n');
  });
});
