/**
 * A process's mailbox key: `<pid base 36>.<6 random base-36 characters>`, from which a reader
 * recovers the pid to tell whether the sender still lives.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pidOfKey, PROCESS_KEY } from '../../src/mailbox/identity.js';
import { ROOT } from '../helpers.js';

describe('PROCESS_KEY', () => {
  it('names this process and a random part of 6 base-36 characters', () => {
    expect(PROCESS_KEY).toMatch(/^[0-9a-z]+\.[0-9a-z]{6}$/);
    expect(pidOfKey(PROCESS_KEY)).toBe(process.pid);
  });

  it('has a random part of its own in each process (the built module, as the CLI loads it)', () => {
    const url = pathToFileURL(join(ROOT, 'dist', 'mailbox', 'identity.js')).href;
    const script = `import(${JSON.stringify(url)}).then((m) => process.stdout.write(m.PROCESS_KEY.split('.')[1]))`;
    const keys = new Set(
      Array.from({ length: 3 }, () => spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout),
    );
    for (const key of keys) expect(key).toMatch(/^[0-9a-z]{6}$/);
    expect(keys.size).toBe(3);
  });
});
