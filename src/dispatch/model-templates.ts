/**
 * The model files `workflow models add` writes for the agent CLIs users run: Claude Code,
 * Codex and opencode. Each flag is there for a reason its comment gives (issue 18: the README's
 * earlier files let Claude's reports be refused, called a Codex flag that no longer exists and
 * left Codex a read-only sandbox). Checked against @anthropic-ai/claude-code 2.1, @openai/codex
 * 0.171 and opencode-ai 1.18, each driven end to end by a real `workflow run`.
 *
 * What every template shares, and why:
 * - `prompt_mode = "stdin"`: all three read the prompt from standard input when given none as
 *   an argument, and a prompt with a whole skill section may pass the 128 KiB a single argument
 *   may hold on Linux; Claude's `--allowedTools` list would also swallow a prompt argument.
 * - `report = "required"`: a CLI whose permission system refused the `mailbox send ... done:`
 *   exits 0 all the same; without a `done:` report, the step fails instead of passing.
 * - `timeout`: an offline CLI retries for minutes (Codex without end); a step that sets no
 *   `timeout:` gets this one.
 * - The protocol's two commands, `mailbox` and `workflow`, are allowed; no flag bypasses a
 *   CLI's permissions or sandbox as a whole.
 *
 * Pure: strings in, TOML text out.
 */
import { UsageError } from '../errors.js';

/** The agent CLIs `workflow models add` knows. */
export const AGENT_CLIS = ['claude', 'codex', 'opencode'] as const;

/** One of `AGENT_CLIS`. */
export type AgentCli = (typeof AGENT_CLIS)[number];

/** A group of arguments that go together (`--model`, `opus`), with why they are there. */
interface ArgGroup {
  readonly words: readonly string[];
  readonly why: string;
}

/** A model file as data: what `renderTemplate` writes, comments and all. */
interface ModelTemplate {
  /** The header comment: which CLI, and what to know before using it. */
  readonly about: readonly string[];
  readonly command: string;
  readonly args: readonly ArgGroup[];
  /** The stall limit, and why it is what it is for this CLI. */
  readonly stall: { readonly value: string; readonly why: string };
  readonly env: readonly { readonly key: string; readonly value: string; readonly why: string }[];
}

/** What `workflow models add` is told. */
export interface TemplateOptions {
  /** The CLI's own model id (`opus`, `gpt-5.3-codex`, `zai/glm-4.6`); default: the CLI's default model. */
  readonly model?: string;
}

/** The time limit of the steps that set none: an hour, long enough for real work. */
const TIMEOUT = '60m';

/** Doubles the braces of a text that goes into `args` or `env` as is: `{` would start a placeholder. */
function literal(text: string): string {
  return text.replace(/[{}]/g, (brace) => brace + brace);
}

/** Claude Code in print mode. */
function claude(model: string | undefined): ModelTemplate {
  return {
    about: [
      'Claude Code (`claude`), non-interactive. It must be logged in (`claude`, then /login) or',
      'have ANTHROPIC_API_KEY. It may run no shell command but `mailbox ...` and `workflow ...`:',
      'add the ones your steps need to the --allowedTools list, e.g. "Bash(npm test)".',
    ],
    command: 'claude',
    args: [
      { words: ['-p'], why: 'print mode: read the prompt, work, print the answer, exit' },
      { words: ['--permission-mode', 'acceptEdits'], why: 'edit files in the codespace without asking' },
      ...(model === undefined
        ? []
        : [{ words: ['--model', literal(model)], why: "the model (Claude's own id or alias)" }]),
      {
        words: ['--allowedTools', 'Bash(mailbox *)', 'Bash(workflow *)'],
        why: 'these shell commands, and only these, run unasked (last: the list takes every word after it)',
      },
    ],
    stall: {
      value: '20m',
      why: 'stopped after 20m without output or a message (print mode prints only at its end)',
    },
    env: [{ key: 'DISABLE_AUTOUPDATER', value: '1', why: 'no self-update in the middle of a run' }],
  };
}

/** Codex's `exec`. */
function codex(model: string | undefined): ModelTemplate {
  return {
    about: [
      'Codex (`codex exec`), non-interactive. It must be logged in (`codex login`) or have',
      'OPENAI_API_KEY. Its shell commands run in a sandbox that may write only the codespace,',
      '/tmp and the planspace (--add-dir), so a planspace outside the codespace works too.',
    ],
    command: 'codex',
    args: [
      { words: ['exec'], why: 'non-interactive: run the prompt to the end, then exit' },
      {
        words: ['--sandbox', 'workspace-write'],
        why: 'commands may write the codespace (the default, read-only, fails mailbox send with EROFS)',
      },
      { words: ['--add-dir', '{planspace}'], why: 'and the planspace, where mailbox send writes its messages' },
      { words: ['--skip-git-repo-check'], why: 'a codespace that is not a git repository is refused without it' },
      {
        words: ['-c', 'allow_login_shell=false'],
        why: "bash -c, not bash -lc: a login shell's /etc/profile resets PATH, and mailbox is not found",
      },
      { words: ['-c', 'check_for_update_on_startup=false'], why: 'no update check at each start' },
      ...(model === undefined ? [] : [{ words: ['-m', literal(model)], why: 'the model' }]),
    ],
    stall: {
      value: '10m',
      why: 'stopped after 10m without output or a message (exec prints each step as it goes)',
    },
    env: [],
  };
}

/** The permission rules opencode is given: shell commands denied but the protocol's two. */
const OPENCODE_PERMISSION = { bash: { '*': 'deny', 'mailbox *': 'allow', 'workflow *': 'allow' } };

/** opencode's `run`. */
function opencode(model: string | undefined): ModelTemplate {
  if (model !== undefined && !/^[^/\s]+\/\S+$/.test(model)) {
    throw new UsageError(
      `opencode names a model as provider/model, such as anthropic/claude-sonnet-4-5; got '${model}'`,
    );
  }
  return {
    about: [
      'opencode (`opencode run`), non-interactive. Its provider needs a key (`opencode auth login`).',
      'It may run no shell command but `mailbox ...` and `workflow ...` (a rule of "ask" is',
      'refused in `run`): add "npm test *": "allow" and such to the bash rules as your steps need.',
    ],
    command: 'opencode',
    args: [
      { words: ['run'], why: 'non-interactive: run the prompt (read from stdin) to the end, then exit' },
      ...(model === undefined ? [] : [{ words: ['--model', literal(model)], why: 'the model, as provider/model' }]),
    ],
    stall: {
      value: '10m',
      why: 'stopped after 10m without output or a message (run prints each tool call as it goes)',
    },
    env: [
      {
        key: 'OPENCODE_CONFIG_CONTENT',
        value: literal(JSON.stringify({ permission: OPENCODE_PERMISSION })),
        why: 'laid over your own opencode config; braces doubled, as {planspace} would be a placeholder',
      },
      { key: 'OPENCODE_DISABLE_AUTOUPDATE', value: '1', why: 'no self-update in the middle of a run' },
    ],
  };
}

/**
 * A TOML string for `text`: a literal string (`'...'`, no escapes) when the text holds a `"`
 * and can be one, as JSON reads best so; else a basic string (JSON's escapes are TOML's).
 */
function tomlString(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (text.includes('"') && !/['\u0000-\u001f\u007f]/.test(text)) return `'${text}'`;
  return JSON.stringify(text);
}

/** `# why` on its own line, indented as `value`, then `value`. */
function commented(value: string, why: string): string[] {
  return [`${/^\s*/.exec(value)?.[0] ?? ''}# ${why}`, value];
}

/**
 * The model file `workflow models add <cli>` writes: `command`, `args`, `prompt_mode`,
 * `report = "required"`, `timeout`, `stall` and `[env]`, each with a comment saying why.
 *
 * @param name - the model's name (the file is `<name>.toml`), shown in the header.
 * @throws {UsageError} for an opencode model that is not `provider/model`.
 */
export function modelTemplate(cli: AgentCli, name: string, options: TemplateOptions = {}): string {
  const template = { claude, codex, opencode }[cli](options.model);
  const lines = [
    `# ${name}.toml, written by \`workflow models add ${cli}\`.`,
    ...template.about.map((line) => `# ${line}`),
    '# Placeholders in args and env: {planspace} {codespace} {step} {run_id} {prompt_file};',
    '# {{ and }} stand for literal braces.',
    `command = ${tomlString(template.command)}`,
    'args = [',
    ...template.args.flatMap((group) => commented(`  ${group.words.map(tomlString).join(', ')},`, group.why)),
    ']',
    ...commented('prompt_mode = "stdin"', 'the prompt file on standard input'),
    ...commented('report = "required"', 'exit 0 without a done: report fails the step'),
    ...commented(`timeout = ${tomlString(TIMEOUT)}`, 'for the steps that set no timeout: of their own'),
    ...commented(`stall = ${tomlString(template.stall.value)}`, template.stall.why),
  ];
  if (template.env.length > 0) {
    lines.push('', '[env]');
    for (const { key, value, why } of template.env) lines.push(`# ${why}`, `${key} = ${tomlString(value)}`);
  }
  return `${lines.join('\n')}\n`;
}
