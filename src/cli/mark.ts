import { markStep, retryStep, type MarkStatus, type StepChange } from '../schedule/operations.js';
import { liveStepGuard } from './live-step-guard.js';
import { stepToJson } from './step-json.js';
import { defineVerb, parseStepNumber, type CommonOptions, type VerbIO } from './verb.js';

/** Text and JSON for a changed step. */
function changed(label: string, change: StepChange) {
  return {
    text: `${label}: ${change.after.text}`,
    json: { step: stepToJson(change.after), previous: change.before.status },
  };
}

const LABELS: Record<MarkStatus, string> = { done: 'Marked done', fail: 'Marked fail', skip: 'Skipped' };

/** `workflow done|fail|skip <planspace> [N]`: mark a step (default: the first [run] step). */
export function markCommand(io: VerbIO, status: MarkStatus) {
  const phrase = status === 'skip' ? 'skip' : `mark ${status}`;
  return defineVerb<[string, string | undefined], CommonOptions>(
    {
      usage: `${status} <planspace> [N]`,
      planspace: 'read',
      summary: `Mark step N [${status}] (default: the first [run] step) and print "${LABELS[status]}: <new line>".`,
      examples: [
        `$ workflow ${status} ./plan`,
        `${LABELS[status]}: [${status}] 3. scan | glm -- relevance scan (implement.md Stage 3)`,
        `$ workflow ${status} ./plan 5 --json`,
      ],
      exitCodes: [
        `1  ERROR: no [run] step to ${phrase} (or no step N)`,
        '1  ERROR: step N is [run] under a live engine, or its escalation waits for an answer',
      ],
    },
    io,
    async (planspace, number) => {
      // The live engine settles its own steps: a mark here would be overwritten when it does.
      const guard = await liveStepGuard(planspace, status);
      return changed(LABELS[status], await markStep(planspace, status, parseStepNumber(number), guard));
    },
  );
}

/** `workflow retry <planspace> [N]`: reset a step to [wait] (default: the first [fail] step). */
export function retryCommand(io: VerbIO) {
  return defineVerb<[string, string | undefined], CommonOptions>(
    {
      usage: 'retry <planspace> [N]',
      summary: 'Reset step N to [wait] (default: the first [fail] step) and print "Reset to wait: <new line>".',
      examples: [
        '$ workflow retry ./plan',
        'Reset to wait: [wait] 5. verify | codex-high -- audit (implement.md Stage 6)',
      ],
      exitCodes: [
        '1  ERROR: no [fail] step to retry (or no step N)',
        '1  ERROR: step N is [run] under a live engine, or its escalation waits for an answer',
      ],
    },
    io,
    async (planspace, number) => {
      const guard = await liveStepGuard(planspace);
      return changed('Reset to wait', await retryStep(planspace, parseStepNumber(number), guard));
    },
  );
}
