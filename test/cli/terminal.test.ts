/**
 * A person at a terminal: the CLI under a real pseudo-terminal (see `test/pty.ts`), where
 * standard input and output are TTYs, Ctrl-C is a keystroke and answers are typed. Every
 * start-up bundle runs here as under a pipe: `dist/bin/hot.cjs` (schedule verbs),
 * `dist/bin/run.cjs` (`workflow run`) and the whole CLI, `dist/bin/workflow.js`. A bundle that
 * reached a TTY-only code path it could not run (an `import()` in a `vm.Script`) ended every
 * `workflow run` in a terminal with exit 70.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import {
  AGENT_TREE,
  AGENTS_BIN,
  makeRun,
  readJsonIfThere,
  waitFor,
  waitForExit,
  type RunSetup,
} from '../engine/setup.js';
import { childEnv, MAILBOX_BIN, ROOT, WORKFLOW_BIN, type RunResult } from '../helpers.js';
import { startPty, stripAnsi } from '../pty.js';

/** `bin/workflow.js` under a PTY. */
function workflowPty(args: readonly string[], env: Readonly<Record<string, string>> = {}, columns?: number) {
  return startPty([process.execPath, WORKFLOW_BIN, ...args], { env, columns });
}

/** `bin` with `args` on pipes: standard input closed, output collected. */
function overPipe(
  bin: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: ROOT, env: childEnv(env), stdio: 'pipe' });
    child.stdin.end();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

const TWO_STEPS = ['# Schedule: terminal', '', '[wait] 1. first | glm -- one', '[wait] 2. second | glm -- two', ''];

/** A run whose step 2 is agent-tree.js (runs until stopped, records its pids in `pidsFile`). */
async function makeTreeRun(): Promise<{ setup: RunSetup; pidsFile: string }> {
  const schedule = [
    '# Schedule: stopping',
    '',
    '[wait] 1. prepare | glm -- ready',
    '[wait] 2. long | tree -- works',
    '',
  ];
  const setup = await makeRun({ schedule: schedule.join('\n') });
  const pidsFile = join(setup.root, 'pids.json');
  await setup.setModel('tree', { command: AGENT_TREE, args: [pidsFile] });
  return { setup, pidsFile };
}

/** Waits for agent-tree.js to run; its pids are killed when the test ends. */
async function treeStarted(setup: RunSetup, pidsFile: string): Promise<{ agent: number; grandchild: number }> {
  const pids = await waitFor('agent-tree.js to record its pids', () =>
    readJsonIfThere<{ agent: number; grandchild: number }>(pidsFile),
  );
  setup.track(pids.agent);
  setup.track(pids.grandchild);
  return pids;
}

/** A run whose step 2 is agent-stubborn.js: ignores SIGTERM, records its pid in `pidFile`. */
async function makeStubbornRun(): Promise<{ setup: RunSetup; pidFile: string }> {
  const schedule = [
    '# Schedule: stubborn',
    '',
    '[wait] 1. prepare | glm -- ready',
    '[wait] 2. long | stubborn -- works',
    '',
  ];
  const setup = await makeRun({ schedule: schedule.join('\n') });
  const pidFile = join(setup.root, 'stubborn.pid');
  await setup.setModel('stubborn', { command: join(AGENTS_BIN, 'agent-stubborn.js'), args: [pidFile] });
  return { setup, pidFile };
}

describe('the demo in a terminal', () => {
  it('npm run demo runs to COMPLETE and exits 0', async () => {
    const demo = startPty([process.execPath, join(ROOT, 'examples', 'demo', 'run-demo.js')]);
    const result = await demo.ended;
    expect(result.screen).toContain('\nCOMPLETE\n');
    expect(result.screen).not.toContain('internal error');
    expect(result.code).toBe(0);
  });
});

describe('workflow run in a terminal', () => {
  it("an answer typed as 'q1 <text>' reaches the agent that asked, and the run completes", async () => {
    const setup = await makeRun({ schedule: TWO_STEPS.join('\n') });
    const run = workflowPty(['run', ...setup.runArgs], { ASK: '1' });
    await run.waitFor(/QUESTION q1 from step-1/);
    run.write('q1 make it teal\r');
    await run.waitFor('answered q1');
    const result = await run.ended;
    expect(result.screen).toMatch(/\nCOMPLETE\n$/);
    expect(result.code).toBe(0);
    expect((await setup.record(1)).answer).toBe('answer:make it teal\n');
    // The note about the typed answer has a line of its own, not the end of the status line.
    expect(result.screen.split('\n')).toContain('answered q1');
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'done']);
  });

  it('what is typed stays on the bottom line through redraws, and Enter leaves no status line glued to it', async () => {
    const setup = await makeRun({ schedule: TWO_STEPS.join('\n') });
    const run = workflowPty(['run', ...setup.runArgs], { ASK: '1' });
    const asked = await run.waitFor(/QUESTION q1 from step-1/);
    run.write('q1 make it');
    const typed = await run.waitFor('q1 make it', { from: asked });
    // A redraw after the typing: the status shows another elapsed time than the last one drawn.
    const elapsed = [...stripAnsi(run.raw()).matchAll(/-- (\d+s) \|/g)].at(-1)?.[1] ?? '';
    const redrawn = await run.waitFor(new RegExp(`-- (?!${elapsed} )\\d+s \\|`), { from: typed });
    await run.waitFor('q1 make it', { from: redrawn, timeoutMs: 5000 });
    const bottom = run.screen().split('\n').at(-1) ?? '';
    expect(bottom).toMatch(/^-- .*q1 make it$/);
    run.write(' teal\r');
    await run.waitFor('answered q1');
    const result = await run.ended;
    expect(result.code).toBe(0);
    expect(result.screen).toMatch(/\nCOMPLETE\n$/);
    const lines = result.screen.split('\n');
    expect(lines.filter((line) => line.includes('-- ') && line.includes('make it'))).toEqual([]);
    expect(lines).toContain('q1 make it teal');
    expect(lines).toContain('answered q1');
    expect((await setup.record(1)).answer).toBe('answer:make it teal\n');
  });

  it('Ctrl-C once: a clean abort, exit 4, the running step back to [wait], its agent gone', async () => {
    const { setup, pidsFile } = await makeTreeRun();
    const run = workflowPty(['run', ...setup.runArgs]);
    const pids = await treeStarted(setup, pidsFile);
    run.write('\x03');
    const result = await run.ended;
    expect(result.screen).toMatch(/run aborted[^\n]*\nABORTED\n$/);
    expect(result.code).toBe(4);
    expect([...(await setup.statuses()).values()]).toEqual(['done', 'wait']);
    await waitForExit(pids.agent, 'the agent');
    await waitForExit(pids.grandchild, "the agent's grandchild");
    expect(await readJsonIfThere(join(setup.planspace, 'engine.json'))).toBeUndefined();
  });

  it('Ctrl-C twice: stops at once, by SIGINT, with no agent left alive and the planspace released', async () => {
    const { setup, pidFile } = await makeStubbornRun();
    const run = workflowPty(['run', ...setup.runArgs]);
    const agent = Number(
      await waitFor('agent-stubborn.js to record its pid', () => readFile(pidFile, 'utf8').catch(() => undefined)),
    );
    setup.track(agent);
    run.write('\x03');
    // The abort has begun: the agent got SIGTERM, ignores it, and the engine waits out its grace.
    await waitFor('the agent to get SIGTERM', () => readFile(`${pidFile}.signals`, 'utf8').catch(() => undefined));
    run.write('\x03');
    const result = await run.ended;
    expect(result.code).toBe(130);
    expect(result.screen).not.toContain('ABORTED');
    expect(isProcessAlive(agent)).toBe(false);
    expect(await readJsonIfThere(join(setup.planspace, 'engine.json'))).toBeUndefined();
  });

  it('what is typed stays on the bottom line while event lines scroll above it', async () => {
    const setup = await makeRun({ schedule: TWO_STEPS.join('\n') });
    const run = workflowPty(['run', ...setup.runArgs], { ASK: '1' });
    const started = await run.waitFor('engine started');
    run.write('q1 half');
    // The question is asked after the engine started: its event line comes after the typing.
    const asked = await run.waitFor(/QUESTION q1 from step-1[^\n]*\n/, { from: started });
    await run.waitFor('q1 half', { from: asked, timeoutMs: 5000 });
    const lines = run.screen().split('\n');
    expect(lines.at(-1)).toMatch(/^-- .*q1 half$/);
    expect(lines.at(-2)).toMatch(/QUESTION q1 from step-1/);
    run.write(' done\r');
    await run.waitFor('answered q1');
    expect((await run.ended).code).toBe(0);
    expect((await setup.record(1)).answer).toBe('answer:half done\n');
  });

  it('Ctrl-D ends typed answers with a note; the status line stays and Ctrl-C still aborts', async () => {
    const { setup, pidsFile } = await makeTreeRun();
    const run = workflowPty(['run', ...setup.runArgs]);
    await treeStarted(setup, pidsFile);
    const drawn = await run.waitFor(/-- [^\n]*step 2[^\n]*on tree/);
    run.write('\x04');
    const noted = await run.waitFor('no more typed answers (Ctrl-D)', { from: drawn });
    await run.waitFor(/-- [^\n]*step 2[^\n]*on tree/, { from: noted });
    run.write('\x03');
    const result = await run.ended;
    expect(result.code).toBe(4);
    expect(result.screen).toMatch(/run aborted[^\n]*\nABORTED\n$/);
  });

  it.each([
    ['Ctrl-C once', ['\x03'], 4],
    ['Ctrl-C twice', ['\x03', '\x03'], 130],
  ] as const)('%s: the terminal is back in cooked mode (echo, line editing) after the run', async (_, keys, code) => {
    const { setup, pidFile } = await makeStubbornRun();
    const modes = join(setup.root, 'stty.txt');
    const command = ['run', ...setup.runArgs].map((word) => `'${word}'`).join(' ');
    // The shell outlives the run in the same terminal and records its modes as the next program finds them.
    const shell = startPty([
      'sh',
      '-c',
      `'${process.execPath}' '${WORKFLOW_BIN}' ${command}; echo "exit $?"; stty -a > '${modes}'`,
    ]);
    const agent = Number(
      await waitFor('agent-stubborn.js to record its pid', () => readFile(pidFile, 'utf8').catch(() => undefined)),
    );
    setup.track(agent);
    await shell.waitFor(/-- [^\n]*step 2/);
    for (const key of keys) {
      shell.write(key);
      await waitFor('the agent to get SIGTERM', () => readFile(`${pidFile}.signals`, 'utf8').catch(() => undefined));
    }
    const result = await shell.ended;
    expect(result.screen).toContain(`exit ${code}`);
    const flags = (await readFile(modes, 'utf8')).split(/\s+/);
    expect(flags).toContain('icanon');
    expect(flags).toContain('echo');
    expect(flags).toContain('isig');
  });

  it('draws the live status line while a step runs, and removes it at the end', async () => {
    const { setup, pidsFile } = await makeTreeRun();
    const run = workflowPty(['run', ...setup.runArgs]);
    await treeStarted(setup, pidsFile);
    await run.waitFor(/-- [^\n]*step 2[^\n]*on tree/);
    run.write('\x03');
    const result = await run.ended;
    expect(result.code).toBe(4);
    // The status line (the prompt of what is typed) is erased, from the line's start down, before
    // each line printed over it.
    expect(result.raw).toContain('\r\x1b[J');
    expect(result.screen.split('\n').filter((line) => line.startsWith('-- '))).toEqual([]);
  });
});

describe('every start-up bundle in a terminal works as on a pipe', () => {
  it.each([
    ['hot.cjs: workflow next', ['next']],
    ['hot.cjs: workflow status', ['status']],
    ['the whole CLI: workflow check', ['check']],
    ['the whole CLI: workflow --help', ['--help']],
    ['the whole CLI: workflow mailbox check', ['mailbox', 'check', '{}', 'someone']],
  ])('%s', async (_, args) => {
    const setup = await makeRun({ schedule: TWO_STEPS.join('\n') });
    const withPlan = args.map((arg) => (arg === '{}' ? setup.planspace : arg));
    const full = args.length === 1 && args[0] !== '--help' ? [...withPlan, setup.planspace] : withPlan;
    const piped = await overPipe(WORKFLOW_BIN, full);
    // Wide: commander wraps its help at the terminal's width, and a pipe has none.
    const tty = await workflowPty(full, {}, 1000).ended;
    expect(tty.screen).toBe(piped.stdout + piped.stderr);
    expect(tty.code).toBe(piped.code);
    expect(tty.screen).not.toBe('');
  });

  it('bin/mailbox.js: mailbox check', async () => {
    const setup = await makeRun({ schedule: TWO_STEPS.join('\n') });
    const args = ['check', setup.planspace, 'someone'];
    const piped = await overPipe(MAILBOX_BIN, args);
    const tty = await startPty([process.execPath, MAILBOX_BIN, ...args]).ended;
    expect(tty.screen).toBe(piped.stdout + piped.stderr);
    expect(tty.code).toBe(piped.code);
  });

  it('run.cjs: workflow run runs to COMPLETE, with the same events as on a pipe', async () => {
    const setup = await makeRun({ schedule: TWO_STEPS.join('\n') });
    const piped = await setup.run();
    expect(piped.code).toBe(0);
    const again = await makeRun({ schedule: TWO_STEPS.join('\n') });
    const tty = await workflowPty(['run', ...again.runArgs]).ended;
    expect(tty.code).toBe(0);
    const events = async (of: RunSetup) => (await of.events()).map((event) => event.event);
    expect(await events(again)).toEqual(await events(setup));
    expect(tty.screen).toMatch(/\nCOMPLETE\n$/);
  });
});

describe('the status line and colours of workflow run', () => {
  /** A run of one step with blocks a and b, whose agents both wait for `<root>/go`. */
  async function makeBlocksRun(): Promise<{ setup: RunSetup; go: () => Promise<void> }> {
    const schedule = ['# Schedule: blocks', '', '[wait] 1. fan-out | waiter -- two slices', '  - blocks: a, b', ''];
    const setup = await makeRun({ schedule: schedule.join('\n') });
    const goFile = join(setup.root, 'go');
    await setup.setModel('waiter', { command: join(AGENTS_BIN, 'agent-wait-file.js'), env: { GO_FILE: goFile } });
    return { setup, go: () => writeFile(goFile, '') };
  }

  /** A colour code (SGR), not the line-clearing one. */
  // The terminal's escape character is the point here.
  // eslint-disable-next-line no-control-regex
  const COLOUR = /\x1b\[\d+m/;

  it.each([
    ['a terminal', [], { TERM: 'xterm' }, true],
    ['FORCE_COLOR=1 on a dumb terminal', [], { TERM: 'dumb', FORCE_COLOR: '1' }, true],
    ['NO_COLOR=1', [], { TERM: 'xterm', NO_COLOR: '1' }, false],
    ['--no-color', ['--no-color'], { TERM: 'xterm' }, false],
  ] as const)('%s: the status line shows both running blocks', async (_, extra, env, coloured) => {
    const { setup, go } = await makeBlocksRun();
    const run = workflowPty(['run', ...setup.runArgs, '--concurrency', '2', ...extra], env);
    // Either order: the blocks are listed by start, and either agent may be logged first.
    await run.waitFor(
      /\n-- (?=[^\n]*step 1 block a on waiter )(?=[^\n]*step 1 block b on waiter )[^\n]*\| no questions/,
    );
    await go();
    const result = await run.ended;
    expect(result.code).toBe(0);
    expect(result.screen).toMatch(/\nCOMPLETE\n$/);
    expect(COLOUR.test(result.raw)).toBe(coloured);
  });

  it.each([
    ['plain', {}, false],
    ['FORCE_COLOR=1', { FORCE_COLOR: '1' }, true],
  ] as const)('on a pipe: no status line, %s lines', async (_, env, coloured) => {
    const { setup, go } = await makeBlocksRun();
    const engine = overPipe(WORKFLOW_BIN, ['run', ...setup.runArgs, '--concurrency', '2'], env);
    const dispatched = async (): Promise<number> => {
      const events = await setup.events().catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      });
      return events.filter((event) => event.event === 'dispatched').length;
    };
    await waitFor('both blocks to start', async () => (await dispatched()) === 2);
    await go();
    const result = await engine;
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('\x1b[2K');
    expect(stripAnsi(result.stdout)).not.toMatch(/^-- /m);
    expect(COLOUR.test(result.stdout)).toBe(coloured);
    expect(stripAnsi(result.stdout)).toMatch(/^\d\d:\d\d:\d\d step 1 \(fan-out\): done\n/m);
  });
});
