import { EXIT } from './exit-codes.js';
import { nextStep, takeSteps } from '../schedule/operations.js';
import { refuseNextUnderEngine } from './live-step-guard.js';
import { stepToJson } from './step-json.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** `workflow next <planspace>`: take the next step (DESIGN.md §3). */
export function nextCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions & { all?: boolean }>(
    {
      usage: 'next <planspace>',
      planspace: 'read',
      summary:
        'Print the first [run] step, or turn the first ready [wait] step into [run] and print it, as <line>:<step line>. With --all, turn every ready step into [run] and print every [run] step, one per line.',
      examples: [
        '$ workflow next ./plan',
        '4:[run] 1. decompose | claude-opus -- sections (implement.md Stage 1)',
        '$ workflow next ./plan      # every step [done] or [skip]',
        'COMPLETE',
        '$ workflow next ./plan --all   # two roots with needs: none',
        '3:[run] 1. scan-api | glm -- scan the API',
        '5:[run] 2. scan-ui | glm -- scan the UI',
      ],
      options: [['--all', 'take every ready step, not just the first']],
      exitCodes: [
        '1  ERROR: engine pid P (run R) is running this planspace: a live engine takes the steps itself',
        '3  BLOCKED <line>:<step line>: a [fail] step stands before every remaining step',
      ],
    },
    io,
    async (planspace, options) => {
      await refuseNextUnderEngine(planspace);
      if (options.all === true) return takeAll(planspace);
      const outcome = await nextStep(planspace);
      const skipped = outcome.skipped.map(({ step, reason }) => ({ step: stepToJson(step), reason }));
      const notes = outcome.skipped.map(({ step, reason }) => `skipped step ${step.number} (${step.name}): ${reason}`);
      if (outcome.kind === 'complete') return { text: 'COMPLETE', json: { result: 'complete', skipped }, notes };
      const line = `${outcome.step.line}:${outcome.step.text}`;
      const json = { result: outcome.kind, step: stepToJson(outcome.step), skipped };
      if (outcome.kind === 'blocked') return { text: `BLOCKED ${line}`, json, notes, exitCode: EXIT.blocked };
      return { text: line, json, notes };
    },
  );
}

/** `next --all`: every ready step becomes `[run]`; every `[run]` step is printed. */
async function takeAll(planspace: string) {
  const outcome = await takeSteps(planspace);
  const skipped = outcome.skipped.map(({ step, reason }) => ({ step: stepToJson(step), reason }));
  const notes = outcome.skipped.map(({ step, reason }) => `skipped step ${step.number} (${step.name}): ${reason}`);
  if (outcome.state === 'complete') return { text: 'COMPLETE', json: { result: 'complete', skipped }, notes };
  if (outcome.state === 'blocked' && outcome.stuck) {
    const json = { result: 'blocked', step: stepToJson(outcome.stuck), skipped };
    return { text: `BLOCKED ${outcome.stuck.line}:${outcome.stuck.text}`, json, notes, exitCode: EXIT.blocked };
  }
  const running = [...outcome.resumed, ...outcome.started].sort((a, b) => a.line - b.line);
  return {
    text: running.map((step) => `${step.line}:${step.text}`).join('\n'),
    json: {
      result: 'started',
      started: outcome.started.map(stepToJson),
      resumed: outcome.resumed.map(stepToJson),
      skipped,
    },
    notes,
  };
}
