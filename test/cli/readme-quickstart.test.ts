/**
 * The README's quick start is what a new user follows: it must say how to install the commands
 * and name every model file the `feature` template's run needs, read from the template and the
 * package's exception-handler agent file, so that the list cannot drift from them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

async function quickStart(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Quick start');
  expect(start).toBeGreaterThan(-1);
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

describe('README quick start', () => {
  it('says how to install the commands, and how to run them without installing', async () => {
    const text = await quickStart();
    expect(text).toContain('npm install -g');
    expect(text).toContain('npx ');
  });

  it("names every model file the feature template's run needs", async () => {
    const template = await readFile(join(ROOT, 'templates', 'schedules', 'feature.md'), 'utf8');
    const handler = await readFile(join(ROOT, 'agents', 'exception-handler.md'), 'utf8');
    const models = new Set([
      ...[...template.matchAll(/^\[wait\] \d+\. [^|]+ \| ([^ ,]+)/gm)].map((match) => match[1]),
      /^model: (\S+)$/m.exec(handler)?.[1],
    ]);
    expect(models.size).toBeGreaterThan(1);
    const text = await quickStart();
    for (const model of models) expect(text).toContain(`\`${String(model)}.toml\``);
  });
});
