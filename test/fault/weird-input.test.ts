/**
 * The valid but weird files of the bad-input corpus (`test/fixtures/bad/`, see its README.md)
 * fed to the real `workflow` executable: CRLF mixed with LF, a byte order mark, parentheses
 * that do not balance inside a description, 200 KB lines. Every verb works, each mutation
 * changes exactly one marker and keeps every other byte, and `run` completes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { makeSandbox } from './sandbox.js';

const CORPUS = join(ROOT, 'test', 'fixtures', 'bad');

/** Valid but weird files: every one has steps numbered from 1, step 1 first and `[wait]`. */
const VALID: readonly { file: string; steps: number }[] = [
  { file: 'crlf-mixed.md', steps: 3 },
  { file: 'bom.md', steps: 2 },
  { file: 'unbalanced-parens.md', steps: 2 },
  { file: 'long-line-200k.md', steps: 2 },
  { file: 'long-attribute-100k.md', steps: 1 },
];

/** `text` with step `number`'s marker (at the start of a line, after a BOM or not) set to `status`. */
function withMarker(text: string, number: number, status: string): string {
  return text.replace(new RegExp(`(^|\\n|\\uFEFF)\\[\\w+\\] ${number}\\. `), `$1[${status}] ${number}. `);
}

describe('valid but weird schedules: the verbs work and change one marker, byte for byte', () => {
  it.each(VALID)('$file', async ({ file, steps }) => {
    const original = await readFile(join(CORPUS, file), 'utf8');
    const box = await makeSandbox(original);
    const schedule = join(box.planspace, 'schedule.md');
    const at = original.search(/\[wait\] 1\. /);
    const lineNumber = original.slice(0, at).split('\n').length;
    const stepLine = (status: string): string =>
      `[${status}]${(withMarker(original, 1, status).slice(at).split('\n')[0] ?? '').replace(/\r$/, '').slice(status.length + 2)}`;

    const walk: [string[], number, string | undefined, string][] = [
      [['next', box.planspace], 0, `${lineNumber}:${stepLine('run')}\n`, 'run'],
      [['next', box.planspace], 0, `${lineNumber}:${stepLine('run')}\n`, 'run'],
      [['fail', box.planspace], 0, `Marked fail: ${stepLine('fail')}\n`, 'fail'],
      [['next', box.planspace], 3, `BLOCKED ${lineNumber}:${stepLine('fail')}\n`, 'fail'],
      [['retry', box.planspace], 0, `Reset to wait: ${stepLine('wait')}\n`, 'wait'],
      [['next', box.planspace, '--all'], 0, `${lineNumber}:${stepLine('run')}\n`, 'run'],
      [['skip', box.planspace], 0, `Skipped: ${stepLine('skip')}\n`, 'skip'],
      [['done', box.planspace, '1'], 0, `Marked done: ${stepLine('done')}\n`, 'done'],
      [
        ['status', box.planspace],
        0,
        `Total: ${steps} | Done: 1 | Running: 0 | Failed: 0 | Waiting: ${steps - 1} | Skipped: 0\n`,
        'done',
      ],
      [
        ['check', box.planspace, ...box.sources],
        0,
        `OK: ${schedule}: ${steps} ${steps === 1 ? 'step' : 'steps'}\n`,
        'done',
      ],
      [['report', box.planspace], 0, undefined, 'done'],
    ];
    for (const [args, code, stdout, status] of walk) {
      const result = await box.workflow(args);
      const what = `workflow ${args.join(' ').slice(0, 200)}`;
      expect(result.code, `${what}: ${result.stderr.slice(0, 500)}`).toBe(code);
      if (stdout !== undefined) expect(result.stdout, what).toBe(stdout);
      expect(await readFile(schedule, 'utf8'), what).toBe(withMarker(original, 1, status));
    }

    // `parse` takes one argument, and the kernel caps one at 128 KiB: longer lines are not fed.
    for (const [index, line] of original
      .replace(/^\uFEFF/, '')
      .split('\n')
      .entries()) {
      if (!line.startsWith('[') || line.length > 100_000) continue;
      const result = await box.workflow(['parse', box.planspace, `${index + 1}:${line.replace(/\r$/, '')}`]);
      expect(result.code, line.slice(0, 80)).toBe(0);
      expect(result.stdout).toMatch(/^status=\[wait\]\nnum=\d+\nname=\S+\nmodel=m\ndesc=.*\nref=.*\n$/);
    }
  });

  it.each(VALID)('$file runs to COMPLETE, every marker [done] and every other byte kept', async ({ file, steps }) => {
    const original = await readFile(join(CORPUS, file), 'utf8');
    const box = await makeSandbox(original);
    const result = await box.workflow(['run', box.planspace, ...box.sources]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/COMPLETE\n$/);
    let expected = original;
    for (let number = 1; number <= steps; number += 1) expected = withMarker(expected, number, 'done');
    expect(await readFile(join(box.planspace, 'schedule.md'), 'utf8')).toBe(expected);
  });
});
