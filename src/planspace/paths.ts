import { join, normalize, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** Every path inside a planspace (DESIGN.md §1), derived in this one place. */
export interface PlanspacePaths {
  /** The planspace folder itself, as given (relative paths stay relative to cwd). */
  readonly root: string;
  /** `schedule.md`: the steps. */
  readonly schedule: string;
  /** `state.md`: the engine-owned position plus facts agents append. */
  readonly state: string;
  /** `log.md`: one line per event, for humans. */
  readonly log: string;
  /** `events.jsonl`: one JSON object per event, for programs. */
  readonly events: string;
  /** `artifacts/`: prompts and outputs of steps and exception handling. */
  readonly artifacts: string;
  /** `mailboxes/`: one folder per mailbox. */
  readonly mailboxes: string;
  /** `added.json`: the steps each step's agent added in the latest run (`workflow add`'s loop guard). */
  readonly added: string;
}

/**
 * Derives the paths of a planspace from its folder. Paths stay relative when `planspace` is,
 * so that messages show the paths the user typed.
 *
 * @throws {UsageError} for an empty `planspace`: `normalize` would make it `.`, and a script
 *   whose variable is unset (`workflow done "$PLAN"`) would change whatever schedule the
 *   current folder holds.
 */
export function planspacePaths(planspace: string): PlanspacePaths {
  if (planspace === '') throw new UsageError('the planspace argument is empty; give its folder (. for this one)');
  const root = normalize(planspace);
  return {
    root,
    schedule: join(root, 'schedule.md'),
    state: join(root, 'state.md'),
    log: join(root, 'log.md'),
    events: join(root, 'events.jsonl'),
    artifacts: join(root, 'artifacts'),
    mailboxes: join(root, 'mailboxes'),
    added: join(root, 'added.json'),
  };
}

/**
 * `planspacePaths` of the planspace's absolute folder, for the engine, whose agents run in the
 * codespace. Checked before it is made absolute: `resolve('')` is the current folder.
 *
 * @throws {UsageError} for an empty `planspace`.
 */
export function absolutePlanspacePaths(planspace: string): PlanspacePaths {
  return planspacePaths(resolve(planspacePaths(planspace).root));
}
