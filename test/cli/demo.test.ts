/**
 * `npm run demo` leaves its planspace and codespace in a temporary folder for the user to look
 * at: its last lines must say which folder, and how to remove it.
 */
import { access } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv, makeTree, ROOT } from '../helpers.js';

describe('npm run demo', () => {
  it('ends by naming the temporary folder it left, and how to remove it', async () => {
    const tmp = await makeTree({});
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, 'examples', 'demo', 'run-demo.js')],
        { env: childEnv({ TMPDIR: tmp }) },
        (error, out) => {
          resolve({ code: error ? Number(error.code) : 0, stdout: out });
        },
      );
    });
    expect(code).toBe(0);
    const match = /\ntemporary folder left for you to look at: (\S+)\nremove it with: rm -rf '(\S+)'\n$/.exec(stdout);
    expect(match?.[1]).toBeDefined();
    expect(match?.[2]).toBe(match?.[1]);
    expect(match?.[1]?.startsWith(join(tmp, 'planspace-demo-'))).toBe(true);
    await access(join(match?.[1] ?? '', 'plan', 'schedule.md'));
  }, 120_000);
});
