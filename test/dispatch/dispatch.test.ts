import { readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { findAgentFile, parseAgentFile, PACKAGE_AGENTS } from '../../src/dispatch/agent-file.js';
import {
  agentBaseEnvironment,
  buildAgentCommand,
  dispatchEnvironment,
  PACKAGE_BIN,
} from '../../src/dispatch/command.js';
import { findModel, ModelError, modelSearchPath, parseModelToml } from '../../src/dispatch/models.js';
import { startAgent } from '../../src/dispatch/spawn.js';
import { isProcessAlive } from '../../src/mailbox/liveness.js';
import { makeTree, REAL_SKILL, realSkillSuite, ROOT, SKILL } from '../helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'bin');

describe('model registry', () => {
  it('reads command, args, prompt_mode and env', () => {
    const spec = parseModelToml(
      'codex-high',
      'command = "codex"\nargs = ["exec", "-c", "effort=high"]\nprompt_mode = "arg"\n[env]\nCODEX_HOME = "/x"\n',
      'codex-high.toml',
    );
    expect(spec).toEqual({
      name: 'codex-high',
      file: 'codex-high.toml',
      command: 'codex',
      args: ['exec', '-c', 'effort=high'],
      promptMode: 'arg',
      env: { CODEX_HOME: '/x' },
      report: 'optional',
    });
    expect(parseModelToml('m', 'command = "claude"', 'm.toml')).toMatchObject({
      args: [],
      promptMode: 'stdin',
      env: {},
      report: 'optional',
    });
  });

  it('reads report, timeout and stall, and args and env with placeholders', () => {
    const text = [
      'command = "codex"',
      'args = ["--add-dir", "{planspace}", "-c", "x={{a}}"]',
      'report = "required"',
      'timeout = "60m"',
      'stall = "90s"',
      '[env]',
      'PROMPT = "{prompt_file}"',
    ].join('\n');
    expect(parseModelToml('m', text, 'm.toml')).toMatchObject({
      args: ['--add-dir', '{planspace}', '-c', 'x={{a}}'],
      env: { PROMPT: '{prompt_file}' },
      report: 'required',
      timeoutMs: 3_600_000,
      stallMs: 90_000,
    });
  });

  it.each([
    ['args = []', "'command' must be a non-empty string"],
    ['command = ""', "'command' must be a non-empty string"],
    ['command = "x"\nargs = "a b"', "'args' must be a list of strings"],
    ['command = "x"\nprompt_mode = "file"', '\'prompt_mode\' must be "stdin" or "arg"'],
    ['command = "x"\nenv = { A = 1 }', "'env' must be a table of strings"],
    ['command = ', 'not valid TOML'],
    ['command = "x"\nreport = "yes"', '\'report\' must be "required" or "optional"'],
    ['command = "x"\ntimeout = "10"', "'timeout' must be a duration such as '90s', '30m' or '2h'"],
    ['command = "x"\nstall = 5', "'stall' must be a duration"],
    [
      'command = "x"\nargs = ["--add-dir", "{plan}"]',
      "m.toml: 'args[1]': unknown placeholder {plan} (known: {planspace},",
    ],
    ['command = "x"\n[env]\nJSON = "{\\"a\\": 1}"', 'm.toml: \'env.JSON\': unknown placeholder {"a": 1}'],
    ['command = "x"\nargs = ["a}"]', "'args[0]': a lone '}' at character 2 (write }} for a literal brace)"],
    ['command = "x"\nreprot = "required"', "unknown key 'reprot' (did you mean 'report'?)"],
  ])('refuses %j', (text, message) => {
    expect(() => parseModelToml('m', text, 'm.toml')).toThrow(message);
  });

  it('searches --models, then the codespace, then the config folder, first match wins', async () => {
    const root = await makeTree({
      'flag/a.toml': 'command = "from-flag"',
      'code/.agents/models/a.toml': 'command = "from-codespace"',
      'code/.agents/models/b.toml': 'command = "b-codespace"',
      'config/planspace/models/c.toml': 'command = "c-config"',
    });
    const path = modelSearchPath({
      models: join(root, 'flag'),
      codespace: join(root, 'code'),
      env: { XDG_CONFIG_HOME: join(root, 'config') },
    });
    expect((await findModel('a', path)).command).toBe('from-flag');
    expect((await findModel('b', path)).command).toBe('b-codespace');
    expect((await findModel('c', path)).command).toBe('c-config');
    const missing = await findModel('d', path).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ModelError);
    expect((missing as Error).message).toBe(`unknown model 'd': no d.toml in ${path.join(', ')}`);
    await expect(findModel('../a', path)).rejects.toThrow('bad model name');
  });
});

describe('agent files', () => {
  it("reads the exception-handler agent file of the tests' own skill", async () => {
    const agent = await findAgentFile('exception-handler', [join(SKILL, 'agents')]);
    expect(agent.model).toBe('claude-opus');
    expect(agent.description).toContain('why a step failed');
    expect(agent.body.startsWith('\n# Exception handler (test skill)\n')).toBe(true);
  });

  it('refuses a file without frontmatter or without a model', () => {
    expect(() => parseAgentFile('# Just markdown\n', 'a.md')).toThrow('a.md: expected YAML frontmatter');
    expect(() => parseAgentFile('---\ndescription: x\n---\nbody', 'a.md')).toThrow("a.md: frontmatter has no 'model'");
  });

  it('reads a timeout and a stall limit from the frontmatter, and refuses one that is not a duration', () => {
    const agent = parseAgentFile('---\nmodel: m\ntimeout: 10m\nstall: 90s\n---\nbody', 'a.md');
    expect(agent).toMatchObject({ model: 'm', timeoutMs: 600_000, stallMs: 90_000 });
    expect(parseAgentFile('---\nmodel: m\n---\nbody', 'a.md')).not.toHaveProperty('timeoutMs');
    expect(() => parseAgentFile('---\nmodel: m\ntimeout: soon\n---\n', 'a.md')).toThrow(
      `a.md:3: frontmatter 'timeout' must be a duration such as '500ms', '5s', '30m' or '2h', got the string "soon"`,
    );
    expect(() => parseAgentFile('---\nmodel: m\nstall: 30\n---\n', 'a.md')).toThrow(
      `a.md:3: frontmatter 'stall' must be a duration such as '500ms', '5s', '30m' or '2h', got number 30`,
    );
  });

  it('names the folders searched when no agent file is found', async () => {
    await expect(findAgentFile('nobody', ['/nowhere', PACKAGE_AGENTS])).rejects.toThrow(
      `no agent file nobody.md in /nowhere, ${PACKAGE_AGENTS}`,
    );
  });
});

describe.skipIf(REAL_SKILL === undefined)(realSkillSuite('agent files of the public skill'), () => {
  it('reads its exception-handler agent file', async () => {
    const agent = await findAgentFile('exception-handler', [join(REAL_SKILL ?? '', 'agents')]);
    expect(agent.model).toBe('claude-opus');
    expect(agent.description).toContain('failed workflow steps');
    expect(agent.body.startsWith('\n# Workflow Exception Handler')).toBe(true);
  });
});

describe('agent command and environment', () => {
  const context = { planspace: '/p', codespace: '/c', step: 4, runId: 'r-1', agent: 'step-4', models: ['a', 'b'] };

  it('gives the prompt file as stdin, or the prompt text as the last argument', () => {
    const model = {
      name: 'm',
      file: 'm.toml',
      command: 'agent',
      args: ['--x'],
      env: { K: 'v' },
      report: 'optional' as const,
    };
    const prompt = { text: 'PROMPT', file: '/p/artifacts/step-1-prompt.md' };
    expect(buildAgentCommand({ ...model, promptMode: 'stdin' }, prompt, { A: '1' }, context)).toEqual({
      file: 'agent',
      args: ['--x'],
      inputFile: '/p/artifacts/step-1-prompt.md',
      env: { A: '1', K: 'v' },
    });
    expect(buildAgentCommand({ ...model, promptMode: 'arg' }, prompt, {}, context)).toMatchObject({
      args: ['--x', 'PROMPT'],
      inputFile: undefined,
    });
  });

  it('fills in the placeholders of args and env values, and {{ }} as literal braces, but not in the prompt', () => {
    const model = {
      name: 'm',
      file: 'm.toml',
      command: 'agent',
      args: ['--add-dir', '{planspace}', '--step={step}', '{{run_id}}', '{{{run_id}}}'],
      env: { WHERE: '{codespace}:{prompt_file}', JSON: '{{"a": 1}}' },
      promptMode: 'arg' as const,
      report: 'optional' as const,
    };
    const prompt = { text: 'a {planspace} in the prompt', file: '/p/artifacts/step-4-attempt-1-prompt.md' };
    expect(buildAgentCommand(model, prompt, { WORKFLOW_STEP: '4' }, context)).toEqual({
      file: 'agent',
      args: ['--add-dir', '/p', '--step=4', '{run_id}', '{r-1}', 'a {planspace} in the prompt'],
      inputFile: undefined,
      env: { WORKFLOW_STEP: '4', WHERE: '/c:/p/artifacts/step-4-attempt-1-prompt.md', JSON: '{"a": 1}' },
    });
  });

  it('sets the WORKFLOW_* variables and puts the command folder and node first on PATH', () => {
    const base = agentBaseEnvironment('/run/bin', { PATH: '/usr/bin', HOME: '/h' }, '/opt/node/bin/node');
    const env = dispatchEnvironment(context, base);
    expect(env).toMatchObject({
      HOME: '/h',
      WORKFLOW_PLANSPACE: '/p',
      WORKFLOW_CODESPACE: '/c',
      WORKFLOW_STEP: '4',
      WORKFLOW_RUN_ID: 'r-1',
      WORKFLOW_AGENT: 'step-4',
      WORKFLOW_MODELS: 'a,b',
    });
    expect(env.PATH?.split(delimiter)).toEqual(['/run/bin', PACKAGE_BIN, '/opt/node/bin', '/usr/bin']);
  });
});

describe('startAgent (real processes)', () => {
  it('gives the prompt on stdin, runs in the codespace, and writes stdout and stderr to the output file', async () => {
    const dir = await makeTree({ 'code/.keep': '' });
    const output = join(dir, 'out.md');
    const env = {
      ...dispatchEnvironment(
        {
          planspace: dir,
          codespace: join(dir, 'code'),
          step: 1,
          runId: 'r',
          agent: 's1',
          models: ['m'],
        },
        agentBaseEnvironment(dir),
      ),
      AGENT_EXIT: '3',
    };
    await writeFile(join(dir, 'prompt.md'), 'the prompt');
    const agent = startAgent(
      { file: join(FIXTURES, 'agent-echo.js'), args: ['one'], inputFile: join(dir, 'prompt.md'), env },
      { cwd: join(dir, 'code'), outputFile: output },
    );
    const exit = await agent.exit;
    expect(exit).toMatchObject({ exitCode: 3, signal: undefined, timedOut: false, stopped: false });
    const [line, stderr] = (await readFile(output, 'utf8')).split('\n');
    expect(JSON.parse(line ?? '')).toMatchObject({
      args: ['one'],
      stdin: 'the prompt',
      cwd: join(dir, 'code'),
      env: { WORKFLOW_STEP: '1', WORKFLOW_AGENT: 's1' },
    });
    expect(stderr).toBe('a line on stderr');
  });

  it('kills the agent and its grandchild on timeout', async () => {
    const dir = await makeTree({});
    const pids = join(dir, 'pids.json');
    const agent = startAgent(
      {
        file: join(FIXTURES, 'agent-tree.js'),
        args: [pids],
        inputFile: undefined,
        env: { PATH: process.env.PATH ?? '' },
      },
      { cwd: dir, outputFile: join(dir, 'out.md'), timeoutMs: 1500, killGraceMs: 500 },
    );
    const exit = await agent.exit;
    expect(exit.timedOut).toBe(true);
    expect(exit.signal).toBe('SIGTERM');
    const { agent: agentPid, grandchild } = JSON.parse(await readFile(pids, 'utf8')) as {
      agent: number;
      grandchild: number;
    };
    await sleep(100);
    expect(isProcessAlive(agentPid)).toBe(false);
    expect(isProcessAlive(grandchild)).toBe(false);
  });

  it('stops the whole tree when aborted', async () => {
    const dir = await makeTree({});
    const pids = join(dir, 'pids.json');
    const controller = new AbortController();
    const agent = startAgent(
      {
        file: join(FIXTURES, 'agent-tree.js'),
        args: [pids],
        inputFile: undefined,
        env: { PATH: process.env.PATH ?? '' },
      },
      { cwd: dir, outputFile: join(dir, 'out.md'), signal: controller.signal },
    );
    while (!(await readFile(pids, 'utf8').catch(() => ''))) await sleep(20);
    controller.abort();
    expect(await agent.exit).toMatchObject({ stopped: true, timedOut: false });
    const { grandchild } = JSON.parse(await readFile(pids, 'utf8')) as { grandchild: number };
    await sleep(100);
    expect(isProcessAlive(grandchild)).toBe(false);
  });

  it('reports a command that cannot start instead of throwing', async () => {
    const dir = await makeTree({});
    await writeFile(join(dir, 'x'), '');
    const agent = startAgent(
      { file: 'no-such-agent-command', args: [], inputFile: join(dir, 'x'), env: { PATH: process.env.PATH ?? '' } },
      { cwd: dir, outputFile: join(dir, 'out.md') },
    );
    const exit = await agent.exit;
    expect(exit.exitCode).toBeUndefined();
    expect(exit.failedToStart).toContain('no-such-agent-command');
  });
});
