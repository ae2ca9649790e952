/**
 * Prompt files: the project's templates filled with a step's values.
 */
import { readFile } from 'node:fs/promises';
import { PlanspaceError } from '../errors.js';
import { packagePath } from '../package-root.js';
import type { Step } from '../schedule/step.js';

/** The mailbox the engine reads: agents report `done:`, `fail:` and `ask:` here. */
export const ENGINE_MAILBOX = 'orchestrator';

const templates = new Map<string, Promise<string>>();

/** Reads a template of the package's `templates/` folder once per process. */
export function packageTemplate(name: string): Promise<string> {
  let text = templates.get(name);
  if (!text) {
    text = readFile(packagePath('templates', name), 'utf8');
    templates.set(name, text);
  }
  return text;
}

/** A template names a placeholder that no value was given for. */
export class TemplateError extends PlanspaceError {
  constructor(template: string, key: string) {
    super('E_TEMPLATE', `${template}: no value for placeholder {{${key}}}`);
  }
}

/**
 * Fills `{{key}}` placeholders (letters, digits, `_` and `-`) in one pass over the template, so
 * text inside a value (a skill section quoting `{{task-name}}`, say) is never expanded.
 *
 * @param label - names the template in errors.
 * @throws {TemplateError} for a placeholder with no value.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>, label = 'template'): string {
  return template.replace(/\{\{([\w-]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new TemplateError(label, key);
    return value;
  });
}

/** Quotes a word for a POSIX shell: single quotes, with each `'` written as `'\''`. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** What a step prompt is made of. */
export interface StepPromptValues {
  readonly step: Step;
  /** The verbatim skill section the step's ref names ('' for a step without a ref). */
  readonly section: string;
  /** Absolute planspace and codespace paths. */
  readonly planspace: string;
  readonly codespace: string;
  /** The current `state.md` ('' if there is none). */
  readonly state: string;
  /** The agent's mailbox name and the dispatch's run id. */
  readonly agent: string;
  readonly runId: string;
  /** A human's guidance for this attempt, from an answered escalation. */
  readonly guidance?: string;
  /** The parallel block this agent runs, for a step with `blocks:`. */
  readonly block?: string;
  /**
   * The "Verification failed" section (`verify/failure.ts`) when the previous attempt's
   * verification failed; '' or undefined for none.
   */
  readonly verification?: string;
  /**
   * The "Inputs" section: the outputs the step's needs recorded (`outputs/prompt.ts`); '' or
   * undefined for none.
   */
  readonly inputs?: string;
  /** The paths whose merge conflicted in this unit's previous attempt (`isolation: worktree`). */
  readonly conflicts?: readonly string[];
}

/**
 * The prompt section that tells an agent its unit's previous attempt did not merge: which paths
 * conflicted, and that this attempt starts from the integration branch as it is now.
 */
function conflictSection(paths: readonly string[] | undefined): string {
  if (paths === undefined || paths.length === 0) return '';
  const list = paths.map((path) => `- \`${path}\``).join('\n');
  return (
    '\n## Merge conflict in the previous attempt\n\n' +
    "The previous attempt's work conflicted with work merged meanwhile, in these paths:\n\n" +
    `${list}\n\n` +
    'This attempt starts from the branch as it is now, with that work in it: read those files ' +
    'again and make your change on top of what they hold now.\n'
  );
}

/** Indents every line of `text` by four spaces: a markdown code block that no content can end. */
function block(text: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/**
 * Renders the step prompt from `templates/step-prompt.md`: the step line, the verbatim skill
 * section, the paths, `state.md`, and the exact mailbox commands for this agent.
 *
 * @throws {TemplateError} if the template names a placeholder this function does not fill.
 */
export async function renderStepPrompt(values: StepPromptValues): Promise<string> {
  const template = await packageTemplate('step-prompt.md');
  const { step, planspace, agent } = values;
  const mailbox = (verb: string, ...args: string[]): string =>
    ['mailbox', verb, shellQuote(planspace), ...args].join(' ');
  const tag = String(step.number);
  return renderTemplate(
    template,
    {
      number: tag,
      name: step.name,
      step: step.text,
      ref: step.ref ?? 'no ref',
      planspace,
      codespace: values.codespace,
      agent,
      run_id: values.runId,
      section:
        values.section === '' ? '(This step names no skill section; its description is the task.)' : values.section,
      // All three sit between the section and the state, in one placeholder: a line of their own
      // in the template would add a blank line to every prompt (which Prettier wants there).
      guidance:
        conflictSection(values.conflicts) +
        (values.verification ?? '') +
        (values.guidance ? `\n## Guidance from a human\n\n${values.guidance}\n` : ''),
      // The Inputs follow in the same placeholder, for the reason given for `guidance`.
      block:
        (values.block === undefined
          ? ''
          : `\nThis step runs in parallel blocks. You run block \`${values.block}\` (also in \`$WORKFLOW_BLOCK\`); ` +
            "other agents run the other blocks at the same time. Do your block's share only.\n") +
        (values.inputs ?? ''),
      state: values.state.trim() === '' ? '    (state.md is empty)' : block(values.state),
      report_commands: [
        mailbox('send', ENGINE_MAILBOX, shellQuote(`done:${tag}:<one-line summary>`)),
        mailbox('send', ENGINE_MAILBOX, shellQuote(`fail:${tag}:<reason>`)),
      ].join('\n'),
      ask_commands: [
        mailbox('send', ENGINE_MAILBOX, shellQuote(`ask:${tag}:<question>`)),
        mailbox('recv', shellQuote(agent)),
      ].join('\n'),
      progress_command: mailbox('send', ENGINE_MAILBOX, shellQuote(`progress:${tag}:<what is done so far>`)),
    },
    'templates/step-prompt.md',
  );
}

/** The last `count` lines of `text`, as an indented block ('(empty)' if there are none). */
export function tailBlock(text: string, count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const tail = lines.slice(-count).join('\n');
  return tail.trim() === '' ? '    (empty)' : block(tail);
}

/** What an exception-handler prompt is made of. */
export interface ExceptionPromptValues {
  readonly step: Step;
  /** Why the step failed, e.g. `exit code 1` or `timeout after 30000 ms`. */
  readonly reason: string;
  readonly planspace: string;
  readonly codespace: string;
  readonly outputFile: string;
  readonly output: string;
  readonly log: string;
  readonly state: string;
  /** The exception-handler agent file's body, put before the failure details. */
  readonly agentBody: string;
  /** The "Verification failed" sections of the failed units (`verify/failure.ts`); '' or undefined for none. */
  readonly verification?: string;
}

/**
 * Renders the exception-handler prompt: the agent file's body, then
 * `templates/exception-prompt.md` with the failed step, the reason, the tails of its output
 * and of the log, and `state.md`.
 */
export async function renderExceptionPrompt(values: ExceptionPromptValues): Promise<string> {
  const template = await packageTemplate('exception-prompt.md');
  const { step } = values;
  const details = renderTemplate(
    template,
    {
      number: String(step.number),
      name: step.name,
      reason: values.reason,
      step: step.text,
      planspace: values.planspace,
      codespace: values.codespace,
      output_file: values.outputFile,
      output_tail: tailBlock(values.output, 40),
      verification: values.verification ?? '',
      log_tail: tailBlock(values.log, 20),
      state: tailBlock(values.state, 200),
      retry_command: ['workflow', 'retry', shellQuote(values.planspace), String(step.number)].join(' '),
    },
    'templates/exception-prompt.md',
  );
  return `${values.agentBody.trim()}\n\n${details}`;
}
