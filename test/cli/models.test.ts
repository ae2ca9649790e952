/**
 * `workflow models add` and `workflow models list` through the real CLI (issue 18, item 4): the
 * files `add` writes parse as model files and carry the flags each CLI needs; `add` never
 * replaces a file without --force; `list` shows every model file a run would find, in the
 * order it searches, with its command's whereabouts and the files an earlier one shadows.
 * (That the flags parse with the real CLIs is test/agents/, where they are installed.)
 */
import { execFile } from 'node:child_process';
import { chmod, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelTemplate } from '../../src/dispatch/model-templates.js';
import { parseModelToml, type ModelSpec } from '../../src/dispatch/models.js';
import { fillPlaceholders } from '../../src/dispatch/placeholders.js';
import { childEnv, makeTree, ROOT, WORKFLOW_BIN, type RunResult } from '../helpers.js';

/** Runs `workflow <args>` in `cwd` with `env` added to the environment. */
function workflow(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [WORKFLOW_BIN, ...args], { cwd, env: childEnv(env) }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Reads a model file `add` wrote, through the parser a run uses. */
async function readModel(file: string): Promise<ModelSpec> {
  const name = file.slice(file.lastIndexOf('/') + 1, -'.toml'.length);
  return parseModelToml(name, await readFile(file, 'utf8'), file);
}

const PLACES = { planspace: '/plan', codespace: '/code', step: '3', run_id: 'r1', prompt_file: '/plan/p.md' };

describe('workflow models add', () => {
  it('writes claude.toml into <cwd>/.agents/models: print mode, the protocol commands allowed, report required, limits', async () => {
    const code = await makeTree({});
    const result = await workflow(['models', 'add', 'claude', '--model', 'opus'], code);
    const file = join(code, '.agents', 'models', 'claude.toml');
    expect(result).toEqual({ code: 0, stdout: `wrote ${file}\n`, stderr: '' });
    const model = await readModel(file);
    expect(model).toMatchObject({ command: 'claude', promptMode: 'stdin', report: 'required', timeoutMs: 3_600_000 });
    expect(model.stallMs).toBeGreaterThan(0);
    expect(model.args[0]).toBe('-p');
    expect(model.args.join(' ')).toContain('--model opus');
    // Last: the list option would take any word after it.
    expect(model.args.slice(-3)).toEqual(['--allowedTools', 'Bash(mailbox *)', 'Bash(workflow *)']);
    expect(model.args).not.toContain('--dangerously-skip-permissions');
  });

  it('writes codex.toml: exec in a workspace-write sandbox that may also write the planspace', async () => {
    const code = await makeTree({});
    expect((await workflow(['models', 'add', 'codex', '--model', 'gpt-5.3-codex'], code)).code).toBe(0);
    const model = await readModel(join(code, '.agents', 'models', 'codex.toml'));
    expect(model).toMatchObject({ command: 'codex', promptMode: 'stdin', report: 'required', timeoutMs: 3_600_000 });
    const args = model.args.map((arg) => fillPlaceholders(arg, PLACES)).join(' ');
    expect(model.args[0]).toBe('exec');
    for (const flag of [
      '--sandbox workspace-write',
      '--add-dir /plan',
      '--skip-git-repo-check',
      '-c allow_login_shell=false',
      '-m gpt-5.3-codex',
    ]) {
      expect(args).toContain(flag);
    }
    expect(args).not.toContain('--full-auto');
  });

  it('writes opencode.toml: run, bash denied but for mailbox and workflow, in a config laid over the user one', async () => {
    const code = await makeTree({});
    const dir = join(code, 'elsewhere');
    const result = await workflow(
      ['models', 'add', 'opencode', '--name', 'glm', '--model', 'zai/glm-4.6', '--dir', dir],
      code,
    );
    expect(result).toMatchObject({ code: 0, stdout: `wrote ${join(dir, 'glm.toml')}\n` });
    expect(await readdir(code)).toEqual(['elsewhere']);
    const model = await readModel(join(dir, 'glm.toml'));
    expect(model).toMatchObject({ command: 'opencode', args: ['run', '--model', 'zai/glm-4.6'], report: 'required' });
    const config = JSON.parse(fillPlaceholders(model.env.OPENCODE_CONFIG_CONTENT ?? '', PLACES)) as unknown;
    expect(config).toEqual({ permission: { bash: { '*': 'deny', 'mailbox *': 'allow', 'workflow *': 'allow' } } });
  });

  it('writes into --codespace, and names the model after the CLI unless --name says', async () => {
    const root = await makeTree({ 'app/.keep': '' });
    expect((await workflow(['models', 'add', 'codex', '--codespace', 'app', '--name', 'coder'], root)).code).toBe(0);
    expect(await readdir(join(root, 'app', '.agents', 'models'))).toEqual(['coder.toml']);
    const model = await readModel(join(root, 'app', '.agents', 'models', 'coder.toml'));
    expect(model.args).not.toContain('-m');
  });

  it('refuses to replace a file without --force (exit 2, the file as it was), and replaces it with --force', async () => {
    const code = await makeTree({ '.agents/models/claude.toml': 'command = "mine"\n' });
    const file = join(code, '.agents', 'models', 'claude.toml');
    const refused = await workflow(['models', 'add', 'claude'], code);
    expect(refused).toEqual({ code: 2, stdout: '', stderr: `${file} already exists; --force replaces it\n` });
    expect(await readFile(file, 'utf8')).toBe('command = "mine"\n');
    expect(await readdir(join(code, '.agents', 'models'))).toEqual(['claude.toml']);
    expect((await workflow(['models', 'add', 'claude', '--force'], code)).code).toBe(0);
    expect((await readModel(file)).command).toBe('claude');
    expect(await readdir(join(code, '.agents', 'models'))).toEqual(['claude.toml']);
  });

  it.each([
    [['gemini'], "unknown agent CLI 'gemini': models add knows claude, codex, opencode"],
    [
      ['opencode', '--model', 'glm-4.6'],
      "opencode names a model as provider/model, such as anthropic/claude-sonnet-4-5; got 'glm-4.6'",
    ],
    [['claude', '--name', '../x'], "bad model name: '../x'"],
  ])('refuses %j with exit 2, writing nothing', async (args, message) => {
    const code = await makeTree({});
    const result = await workflow(['models', 'add', ...args], code);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await readdir(code)).toEqual([]);
  });

  it('completes the CLI names', async () => {
    const code = await makeTree({});
    expect((await workflow(['__complete', 'models', 'add', 'c'], code)).stdout).toBe('claude\ncodex\n');
    expect((await workflow(['__complete', 'models', ''], code)).stdout).toBe('list\nadd\n');
  });
});

describe('README', () => {
  it.each([
    ['claude', 'opus'],
    ['codex', 'gpt-5.3-codex'],
    ['opencode', 'zai/glm-4.6'],
  ] as const)('shows the %s file exactly as `models add` writes it', async (cli, model) => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`\`workflow models add ${cli} --model ${model}\` writes:\n`);
    expect(readme).toContain(`\`\`\`toml\n${modelTemplate(cli, cli, { model })}\`\`\`\n`);
  });
});

describe('workflow models --help', () => {
  it.each([[[]], [['list']], [['add']]])('workflow models %j --help fits 80 columns', async (verb) => {
    const { stdout, code } = await workflow(['models', ...verb, '--help'], ROOT);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: workflow models');
    expect(stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
  });
});

describe('workflow models list', () => {
  it('lists every model file in search order, with its command, where it is found, and what shadows it', async () => {
    const root = await makeTree({
      'flag/coder.toml': 'command = "./coder.sh"\nreport = "required"\ntimeout = "30m"\n',
      'flag/coder.sh': '#!/bin/sh\n',
      'code/.agents/models/coder.toml': 'command = "no-such-agent-cli"\n',
      'code/.agents/models/bad.toml': 'command = "x"\nargs = ["{plan}"]\n',
      'code/.agents/models/notes.txt': 'not a model\n',
      'config/planspace/models/sh.toml': 'command = "sh"\n',
    });
    await chmod(join(root, 'flag', 'coder.sh'), 0o755);
    const env = { XDG_CONFIG_HOME: join(root, 'config') };
    const result = await workflow(['models', 'list', '--json', '--models', 'flag', '--codespace', 'code'], root, env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { searchPath, models } = JSON.parse(result.stdout) as {
      searchPath: string[];
      models: Record<string, unknown>[];
    };
    expect(searchPath).toEqual([
      join(root, 'flag'),
      join(root, 'code', '.agents', 'models'),
      join(root, 'config', 'planspace', 'models'),
    ]);
    expect(models.map((model) => [model.name, model.file])).toEqual([
      ['coder', join(root, 'flag', 'coder.toml')],
      ['bad', join(root, 'code', '.agents', 'models', 'bad.toml')],
      ['coder', join(root, 'code', '.agents', 'models', 'coder.toml')],
      ['sh', join(root, 'config', 'planspace', 'models', 'sh.toml')],
    ]);
    expect(models[0]).toEqual({
      name: 'coder',
      file: join(root, 'flag', 'coder.toml'),
      command: join(root, 'flag', 'coder.sh'),
      args: [],
      promptMode: 'stdin',
      report: 'required',
      timeoutMs: 1_800_000,
      stallMs: null,
      commandFound: true,
      commandPath: join(root, 'flag', 'coder.sh'),
      problem: null,
      shadowedBy: null,
    });
    expect(models[1]).toMatchObject({
      command: null,
      commandFound: false,
      problem: `${join(root, 'code', '.agents', 'models', 'bad.toml')}: 'args[0]': unknown placeholder {plan} (known: {planspace}, {codespace}, {step}, {run_id}, {prompt_file}; write {{ and }} for literal braces)`,
    });
    expect(models[2]).toMatchObject({
      command: 'no-such-agent-cli',
      commandFound: false,
      problem: "command 'no-such-agent-cli' not found on PATH",
      shadowedBy: join(root, 'flag', 'coder.toml'),
    });
    expect(models[3]).toMatchObject({ command: 'sh', commandFound: true, shadowedBy: null });

    const text = await workflow(['models', 'list', '--models', 'flag', '--codespace', 'code'], root, env);
    expect(text.stdout.split('\n')[2]).toBe(
      `coder | ${join(root, 'code', '.agents', 'models', 'coder.toml')} | command=no-such-agent-cli | PROBLEM: command 'no-such-agent-cli' not found on PATH | shadowed by ${join(root, 'flag', 'coder.toml')}`,
    );
    expect(text.stdout.split('\n')[0]).toBe(
      `coder | ${join(root, 'flag', 'coder.toml')} | command=${join(root, 'flag', 'coder.sh')} | report=required | timeout=30m | found=${join(root, 'flag', 'coder.sh')}`,
    );
  });

  it('says where it looked when it finds none', async () => {
    const root = await makeTree({});
    const result = await workflow(['models', 'list'], root, { XDG_CONFIG_HOME: join(root, 'config') });
    expect(result).toEqual({
      code: 0,
      stdout: `no model files in ${join(root, '.agents', 'models')}, ${join(root, 'config', 'planspace', 'models')}\n`,
      stderr: '',
    });
  });
});
