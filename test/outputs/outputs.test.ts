/**
 * Declared outputs (issue 21, item 3) through real runs: `outputs:` files are checked after the
 * agent succeeded and before `verify:`, recorded with their sizes and SHA-256 in
 * `artifacts/step-N-outputs.json`, listed in a dependent's prompt, and listed and re-hashed by
 * `workflow artifacts`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRun, waitFor, type RunSetup } from '../engine/setup.js';

/** SHA-256 of a file's bytes, as node:crypto computes it. */
async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** A model that reads its prompt into `prompt-<step>-<n>.md` and runs `script` in the codespace. */
function shellModel(script: string) {
  return {
    command: '/bin/sh',
    args: [
      '-c',
      'n=$(cat "count-$WORKFLOW_STEP" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "count-$WORKFLOW_STEP"; ' +
        `cat > "prompt-$WORKFLOW_STEP-$n.md"; ${script}`,
    ],
  };
}

const BUILD = shellModel(
  'mkdir -p dist docs out/sub && printf "console.log(1)\\n" > dist/app.js && printf "# A\\n" > docs/a.md && ' +
    'printf "bee" > docs/b.md && printf "\\000\\001\\002" > out/sub/x.bin',
);

interface Entry {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly step: number;
  readonly attempt: number;
  readonly runId: string;
  readonly codespace: string;
}

async function recorded(setup: RunSetup, step: number): Promise<Entry[]> {
  return JSON.parse(await readFile(join(setup.planspace, 'artifacts', `step-${step}-outputs.json`), 'utf8')) as Entry[];
}

describe('workflow run: outputs:', () => {
  it('records every matched file with its size and sha256, and the dependent prompt lists them', async () => {
    const setup = await makeRun({
      schedule: [
        '[wait] 1. build | builder -- build',
        '  - outputs: dist/app.js',
        '  - outputs: docs/*.md',
        '  - outputs: out',
        '[wait] 2. use | glm -- use what step 1 made',
        '[wait] 3. also | glm -- needs step 1 by name',
        '  - needs: 2, 1',
        '',
      ].join('\n'),
      models: { builder: BUILD },
    });
    const result = await setup.run();
    expect(result).toMatchObject({ code: 0 });
    expect(await setup.statuses()).toEqual(
      new Map([
        [1, 'done'],
        [2, 'done'],
        [3, 'done'],
      ]),
    );
    const paths = ['dist/app.js', 'docs/a.md', 'docs/b.md', 'out/sub/x.bin'];
    const dispatched = (await setup.events()).find((event) => event.event === 'dispatched' && event.step === 1);
    const expected = await Promise.all(
      paths.map(async (path) => ({
        path,
        bytes: (await readFile(join(setup.codespace, path))).length,
        sha256: await sha256(join(setup.codespace, path)),
        step: 1,
        attempt: 1,
        runId: String(dispatched?.runId),
        codespace: setup.codespace,
      })),
    );
    expect(await recorded(setup, 1)).toEqual(expected);
    expect(expected.map((entry) => entry.bytes)).toEqual([15, 4, 3, 3]);

    // The dependent's prompt: an Inputs section with absolute codespace paths, sizes and hashes.
    const prompt = (await setup.record(2)).prompt;
    expect(prompt).toContain('## Inputs');
    for (const entry of expected) {
      expect(prompt).toContain(
        `- \`${join(setup.codespace, entry.path)}\` (from step 1, ${entry.bytes} bytes, sha256 ${entry.sha256})`,
      );
    }
    // Step 3 names step 1 among its needs: the same list (step 2 recorded no outputs).
    const also = (await setup.record(3)).prompt;
    expect(also.slice(also.indexOf('## Inputs'), also.indexOf('## What to do'))).toBe(
      prompt.slice(prompt.indexOf('## Inputs'), prompt.indexOf('## What to do')),
    );
    // Step 1 needs nothing: its prompt has no Inputs.
    expect(await readFile(join(setup.codespace, 'prompt-1-1.md'), 'utf8')).not.toContain('## Inputs');

    // workflow artifacts: the table, one step, and JSON.
    const table = await setup.workflow(['artifacts', setup.planspace]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toBe(
      expected
        .map(
          (entry) =>
            `step 1  ${entry.path}  ${entry.bytes} bytes  sha256 ${entry.sha256}  attempt 1  run ${entry.runId}\n`,
        )
        .join(''),
    );
    const json = await setup.workflow(['artifacts', setup.planspace, '1', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ outputs: expected });
    const none = await setup.workflow(['artifacts', setup.planspace, '2']);
    expect(none).toMatchObject({ code: 0, stdout: `no outputs recorded for step 2 in ${setup.planspace}\n` });

    // --verify: all as recorded; then a file changed by hand and one removed: both named, exit 1.
    expect(await setup.workflow(['artifacts', setup.planspace, '--verify'])).toMatchObject({
      code: 0,
      stdout: 'all 4 outputs as recorded\n',
    });
    await writeFile(join(setup.codespace, 'docs/a.md'), '# A, edited\n');
    await rm(join(setup.codespace, 'out/sub/x.bin'));
    const changed = await setup.workflow(['artifacts', setup.planspace, '--verify']);
    expect(changed.code).toBe(1);
    const [, a, , x] = expected;
    expect(changed.stdout).toBe(
      `changed  step 1  docs/a.md  (recorded ${a?.bytes} bytes sha256 ${a?.sha256}, now 12 bytes sha256 ` +
        `${await sha256(join(setup.codespace, 'docs/a.md'))})\n` +
        `missing  step 1  out/sub/x.bin  (recorded ${x?.bytes} bytes sha256 ${x?.sha256})\n` +
        '2 of 4 outputs changed or missing since recorded\n',
    );
    const verified = JSON.parse(
      (await setup.workflow(['artifacts', setup.planspace, '--verify', '--json'])).stdout,
    ) as {
      outputs: { path: string; state: string }[];
      changed: number;
    };
    expect(verified.changed).toBe(2);
    expect(verified.outputs.map((entry) => [entry.path, entry.state])).toEqual([
      ['dist/app.js', 'same'],
      ['docs/a.md', 'changed'],
      ['docs/b.md', 'same'],
      ['out/sub/x.bin', 'missing'],
    ]);
  });

  it('a missing output fails the attempt before verify, names the paths, records nothing; the next prompt says so', async () => {
    const setup = await makeRun({
      schedule: [
        '[wait] 1. build | builder -- build',
        '  - outputs: dist/app.js',
        '  - outputs: docs/*.md',
        '  - outputs: missing.txt',
        '  - verify: touch verified',
        '[wait] 2. use | glm -- use',
        '',
      ].join('\n'),
      // Writes dist/app.js only, every time.
      models: { builder: shellModel('mkdir -p dist && echo app > dist/app.js') },
      // The handler says FIXED once; the second failure escalates to a human.
    });
    const engine = setup.start();
    await waitFor('the escalation', async () => {
      const questions = await setup.workflow(['questions', setup.planspace]);
      return questions.stdout.includes('step=1') ? questions.stdout : undefined;
    });
    const missing = (await setup.eventsSoFar()).filter((event) => event.event === 'outputs-missing');
    expect(missing.map((event) => event.missing)).toEqual([
      ['docs/*.md', 'missing.txt'],
      ['docs/*.md', 'missing.txt'],
    ]);
    const log = await readFile(join(setup.planspace, 'log.md'), 'utf8');
    expect(log).toContain('step 1 (build): missing outputs: docs/*.md, missing.txt');
    // Checked before verification, which never ran; nothing recorded.
    expect(existsSync(join(setup.codespace, 'verified'))).toBe(false);
    expect(existsSync(join(setup.planspace, 'artifacts', 'step-1-outputs.json'))).toBe(false);
    // The first attempt's prompt says nothing of it; the second names what was missing.
    expect(await readFile(join(setup.codespace, 'prompt-1-1.md'), 'utf8')).not.toContain('Missing outputs');
    const second = await readFile(join(setup.codespace, 'prompt-1-2.md'), 'utf8');
    expect(second).toContain('## Missing outputs in the previous attempt');
    expect(second).toContain('- `docs/*.md`\n- `missing.txt`\n');
    expect(await setup.workflow(['answer', setup.planspace, '--id', 'q1', 'skip'])).toMatchObject({ code: 0 });
    expect((await engine.ended).code).toBe(0);
    expect(existsSync(join(setup.planspace, 'artifacts', 'step-1-outputs.json'))).toBe(false);
    expect((await setup.record(2)).prompt).not.toContain('## Inputs');
    expect(await setup.workflow(['artifacts', setup.planspace])).toMatchObject({
      code: 0,
      stdout: `no outputs recorded in ${setup.planspace}\n`,
    });
  });
});
