import { formatProblem, ScheduleSyntaxError } from '../errors.js';
import { readSchedule } from '../schedule/operations.js';
import { EXIT } from './exit-codes.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** `workflow check <planspace>`: validate the schedule and list every problem. */
export function checkCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'check <planspace>',
      summary: 'Validate the schedule: every step line, attribute and need. Lists all problems, one per line.',
      examples: [
        '$ workflow check ./plan',
        'OK: ./plan/schedule.md: 7 steps',
        './plan/schedule.md:5:8: expected a step number not used before, found 3, already used on line 4',
      ],
    },
    io,
    async (planspace) => {
      try {
        const schedule = await readSchedule(planspace);
        return {
          text: `OK: ${schedule.file}: ${schedule.steps.length} steps`,
          json: { ok: true, file: schedule.file, steps: schedule.steps.length, problems: [] },
        };
      } catch (error) {
        if (!(error instanceof ScheduleSyntaxError)) throw error;
        return {
          text: error.problems.map(formatProblem).join('\n'),
          json: { ok: false, problems: error.problems },
          exitCode: EXIT.usage,
        };
      }
    },
  );
}
