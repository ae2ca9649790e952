/**
 * `workflow add <planspace> "<name> | <models> -- <description> (ref)"`: adds one step to the
 * schedule (a living schedule: a review step's agent adds a fix and a re-review). Called by an
 * agent (`WORKFLOW_STEP` and `WORKFLOW_RUN_ID` set), the step records `added-by:`, needs the
 * adding step by default, and is held to the loop guard. The engine (the agent's, or the live
 * one of a shell's add) is told through its mailbox (`added:<step>:<N>`, followed by
 * ` <before> <after>`, the file's versions around the write, when the step went at the end;
 * or `add-refused:<step>:<reason>`), so that it logs the add and takes the step at once,
 * reading only the new lines.
 */
import { AddLimitError, PlanspaceError, UsageError } from '../errors.js';
import { send } from '../mailbox/send.js';
import { liveHold } from '../planspace/hold.js';
import { planspacePaths } from '../planspace/paths.js';
import { ENGINE_MAILBOX } from '../prompt/render.js';
import { DEFAULT_MAX_ADDED, DEFAULT_MAX_STEPS, type AddRequest } from '../schedule/add.js';
import { addStep, runOfRunId, type AddedByRun } from '../schedule/add-step.js';
import { isSystemError } from './exit-codes.js';
import { stepToJson } from './step-json.js';
import { defineVerb, parseStepNumber, type CommonOptions, type VerbIO } from './verb.js';

/** The options of `workflow add`. */
interface AddOptions extends CommonOptions {
  readonly after?: string;
  readonly needs?: string;
  readonly when?: string;
  /** `--attr key=value`, each time it was given. */
  readonly attr?: readonly string[];
  readonly maxSteps?: string;
  readonly maxAdded?: string;
}

/**
 * A count from a flag or an environment variable.
 *
 * @throws {UsageError} unless `text` is a whole number of at least 1.
 */
function count(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${name} wants a whole number of at least 1, such as 20; found '${text}'`);
  }
  return Number(text);
}

/**
 * `--attr key=value` as `[key, value]`.
 *
 * @throws {UsageError} for an item without `=` or with an empty key.
 */
function attributePair(text: string): [string, string] {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new UsageError(`--attr wants key=value, such as timeout=30m; found '${text}'`);
  return [text.slice(0, equals).trim(), text.slice(equals + 1).trim()];
}

/** What the verb adds, and for whom the loop guard counts, from its options and environment. */
export function addRequestOf(
  line: string,
  options: AddOptions,
  env: NodeJS.ProcessEnv,
): { request: AddRequest; counted?: AddedByRun } {
  const attributes: [string, string][] = [];
  if (options.needs !== undefined) attributes.push(['needs', options.needs]);
  if (options.when !== undefined) attributes.push(['when', options.when]);
  for (const item of options.attr ?? []) attributes.push(attributePair(item));
  const addedBy = env.WORKFLOW_STEP === undefined || env.WORKFLOW_STEP === '' ? undefined : env.WORKFLOW_STEP;
  const step = addedBy === undefined ? undefined : parseStepNumber(addedBy);
  const runId = env.WORKFLOW_RUN_ID === undefined || env.WORKFLOW_RUN_ID === '' ? undefined : env.WORKFLOW_RUN_ID;
  // The loop guard is the run's: outside one only the limits given as flags hold.
  const inRun = runId !== undefined;
  const maxSteps =
    count(options.maxSteps, '--max-steps') ??
    count(env.WORKFLOW_MAX_STEPS, 'WORKFLOW_MAX_STEPS') ??
    (inRun ? DEFAULT_MAX_STEPS : undefined);
  const maxAdded =
    count(options.maxAdded, '--max-added') ?? count(env.WORKFLOW_MAX_ADDED, 'WORKFLOW_MAX_ADDED') ?? DEFAULT_MAX_ADDED;
  const after = parseStepNumber(options.after);
  const request: AddRequest = {
    line,
    attributes,
    ...(after !== undefined && { after }),
    ...(step !== undefined && { addedBy: step }),
    ...(maxSteps !== undefined && { maxSteps }),
  };
  if (step === undefined || runId === undefined) return { request };
  return { request, counted: { run: runOfRunId(runId), step, maxAdded } };
}

/**
 * Tells a live engine (its mailbox) what an agent's add did; the message carries the agent's
 * run id. Returns a note for stderr when the message could not be sent: the add itself stands
 * (an error would make the agent add the step again), and the engine still takes the step
 * when its next step settles.
 */
async function tellEngine(planspace: string, env: NodeJS.ProcessEnv, body: string): Promise<string[]> {
  const agent = env.WORKFLOW_AGENT;
  try {
    await send(planspace, ENGINE_MAILBOX, `${body}\n`, {
      ...(agent !== undefined && agent !== '' && { from: agent }),
      ...(env.WORKFLOW_RUN_ID !== undefined && { runId: env.WORKFLOW_RUN_ID }),
    });
    return [];
  } catch (error) {
    if (!(error instanceof PlanspaceError) && !isSystemError(error)) throw error;
    return [`workflow add: the engine's mailbox was not told (${error.message}); it sees the change at its next step`];
  }
}

/** `workflow add <planspace> <step>`: add one step; print its number. */
export function addCommand(io: VerbIO) {
  return defineVerb<[string, string], AddOptions>(
    {
      usage: 'add <planspace> <step>',
      planspace: 'read',
      summary:
        'Add a [wait] step with the next free number and print the number. <step> is "<name> | <models> -- <description> (ref)"; it is checked as a hand-written line.',
      examples: [
        '$ workflow add ./plan "fix | claude-opus -- fix the regression the review found (implement.md Stage 5)"',
        '8',
        '$ workflow add ./plan "re-review | codex-high -- review the fix" --needs 8 --attr timeout=30m --json',
        '# From an agent: the step gets added-by: $WORKFLOW_STEP and needs: $WORKFLOW_STEP by default',
      ],
      exitCodes: [
        '1  ERROR: refused by the loop guard (--max-steps in the schedule, --max-added by this step in this run)',
        '2  a bad step line or attribute, or no step N for --after; nothing written',
      ],
      options: [
        ['--after <N>', "place the step after step N's line and its attribute items (default: at the end)"],
        [
          '--needs <steps>',
          'the steps it waits for, e.g. 1,3 or none (default: the step before it; from an agent, its step)',
        ],
        ['--when <condition>', 'success (default), failure or always: which outcomes of its needs let it run'],
        [
          '--attr <key=value>',
          'any other attribute, e.g. timeout=30m or verify=npm test; repeat for more',
          'repeatable',
        ],
        [
          '--max-steps <n>',
          'refuse when the schedule holds n steps (default: WORKFLOW_MAX_STEPS, else 500 in a run, else no limit)',
        ],
        [
          '--max-added <n>',
          'refuse when this step (WORKFLOW_STEP) added n steps in this run (default: WORKFLOW_MAX_ADDED, else 20)',
        ],
      ],
    },
    io,
    async (planspace, line, options) => {
      const { request, counted } = addRequestOf(line, options, io.env);
      // An agent's add goes to its engine; a shell's, to the live engine if there is one (one
      // read of `engine.json`), so that the step starts without waiting for another to settle.
      const told =
        (io.env.WORKFLOW_RUN_ID !== undefined && io.env.WORKFLOW_RUN_ID !== '') ||
        (await liveHold(planspacePaths(planspace))) !== undefined;
      const by = io.env.WORKFLOW_STEP ?? '';
      let added;
      try {
        added = await addStep(planspace, request, counted);
      } catch (error) {
        // A refused add is the run's business: the engine logs it (a runaway loop shows there).
        if (told && error instanceof AddLimitError) {
          for (const note of await tellEngine(planspace, io.env, `add-refused:${by}:${error.message}`)) io.note(note);
        }
        throw error;
      }
      const { step, appended } = added;
      // With the versions around an append, the engine reads only the new lines.
      const versions = appended === undefined ? '' : ` ${appended.before} ${appended.after}`;
      const notes = told ? await tellEngine(planspace, io.env, `added:${by}:${step.number}${versions}`) : [];
      return { text: String(step.number), json: { ...stepToJson(step), step: step.number }, notes };
    },
  );
}
