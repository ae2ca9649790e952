import { EXIT } from './exit-codes.js';
import { nextStep } from '../schedule/operations.js';
import { stepToJson } from './step-json.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** `workflow next <planspace>`: take the next step (DESIGN.md §3). */
export function nextCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'next <planspace>',
      summary:
        'Print the first [run] step, or turn the first ready [wait] step into [run] and print it, as <line>:<step line>.',
      examples: [
        '$ workflow next ./plan',
        '4:[run] 1. decompose | claude-opus -- recursive section decomposition (implement.md Stage 1)',
        '$ workflow next ./plan      # every step [done] or [skip]',
        'COMPLETE',
      ],
      exitCodes: ['3  BLOCKED <line>:<step line>: a [fail] step stands before every remaining step'],
    },
    io,
    async (planspace) => {
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
