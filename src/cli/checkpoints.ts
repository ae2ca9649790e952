/**
 * `workflow checkpoints` (where the integration branch stood as each step settled done) and
 * `workflow rollback` (go back to one of them). The work is in `src/git/`.
 */
import { readCheckpoints } from '../git/checkpoint-file.js';
import { rollback, type RollbackOutcome } from '../git/rollback.js';
import { UsageError } from '../errors.js';
import { planspacePaths } from '../planspace/paths.js';
import { printable } from '../text/printable.js';
import { defineVerb, parseStepNumber, type CommonOptions, type VerbIO } from './verb.js';

/** A path as a shell word: quoted unless it is plainly safe. */
function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `workflow checkpoints <planspace> [--json]`: list the checkpoints, in the order recorded. */
export function checkpointsCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'checkpoints <planspace>',
      summary:
        "List the checkpoints: for each step that settled [done], the run and the commit the codespace's branch " +
        'was at (refs/planspace/checkpoints/step-N in its repository). Recorded when the codespace is a git repository.',
      examples: [
        '$ workflow checkpoints ./plan',
        'step 1  run r-mwr7hpe6  9f2c1e0  2026-12-07T17:40:00.000Z  add the parser',
        'step 2  run r-mwr7hpe6  1b7d3aa  2026-12-07T17:41:12.000Z  add the tests',
      ],
    },
    io,
    async (planspace) => {
      const checkpoints = await readCheckpoints(planspacePaths(planspace));
      const json = {
        checkpoints: checkpoints.map(({ step, runId, commit, subject, time, ref, repository }) => ({
          step,
          runId,
          commit,
          short: commit.slice(0, 7),
          time,
          subject,
          ref,
          repository,
        })),
      };
      if (checkpoints.length === 0) {
        return {
          text: `no checkpoints in ${planspace} (a step that settles [done] records one when the codespace is a git repository with a commit)`,
          json,
        };
      }
      const width = Math.max(...checkpoints.map((entry) => String(entry.step).length));
      const lines = checkpoints.map(
        (entry) =>
          `step ${String(entry.step).padEnd(width)}  run ${entry.runId}  ${entry.commit.slice(0, 7)}  ${entry.time}  ${printable(entry.subject)}`,
      );
      return { text: lines.join('\n'), json };
    },
  );
}

/** The commands that undo `outcome`: the branch back, then each step's status back. */
function undoCommands(planspace: string, outcome: RollbackOutcome): string[] {
  const repository = shellWord(outcome.checkpoint.repository);
  return [
    `git -C ${repository} reset --keep ${outcome.savedRef}`,
    ...outcome.reset.map(({ before }) => `workflow ${before.status} ${shellWord(planspace)} ${before.number}`),
  ];
}

/** `workflow rollback <planspace> --to N`: move the branch back to step N's checkpoint. */
export function rollbackCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions & { to?: string }>(
    {
      usage: 'rollback <planspace>',
      summary:
        "Move the codespace's branch back to step N's checkpoint (working tree updated, untracked files kept) and " +
        'turn every step settled after it back to [wait], for the next run to do again. The head it leaves is saved ' +
        'as refs/planspace/rollback/<time>; the output says how to undo.',
      options: [['--to <N>', 'the step whose checkpoint to go back to (required)', 'required']],
      examples: [
        '$ workflow rollback ./plan --to 1',
        "Rolled back main from c40a9d2 to 9f2c1e0, step 1's checkpoint (run r-mwr7).",
        'Steps back to [wait]: 2, 3.',
        'Saved the old head as refs/planspace/rollback/20261207T174500.000Z. To undo:',
        '  git -C /app reset --keep refs/planspace/rollback/20261207T174500.000Z',
        '  workflow done ./plan 2',
        '  workflow done ./plan 3',
      ],
      exitCodes: ['2  no checkpoint for step N, a live engine, or uncommitted tracked changes'],
    },
    io,
    async (planspace, options) => {
      const to = parseStepNumber(options.to);
      if (to === undefined) throw new UsageError('give the step to roll back to: --to N');
      const outcome = await rollback(planspace, to);
      const { checkpoint, branch, left, savedRef, reset } = outcome;
      const steps = reset.map((change) => change.before.number);
      const back = steps.length === 0 ? 'No step was settled after it.' : `Steps back to [wait]: ${steps.join(', ')}.`;
      const undo = undoCommands(planspace, outcome);
      return {
        text: [
          `Rolled back ${branch ?? 'the detached HEAD'} from ${left.slice(0, 7)} to ${checkpoint.commit.slice(0, 7)}, step ${checkpoint.step}'s checkpoint (run ${checkpoint.runId}).`,
          back,
          `Saved the old head as ${savedRef}. To undo:`,
          ...undo.map((command) => `  ${command}`),
        ].join('\n'),
        json: {
          step: checkpoint.step,
          runId: checkpoint.runId,
          commit: checkpoint.commit,
          branch: branch ?? null,
          from: left,
          savedRef,
          reset: reset.map(({ before }) => ({ step: before.number, previous: before.status })),
          undo,
        },
      };
    },
  );
}
