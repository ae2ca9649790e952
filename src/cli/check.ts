import { formatProblem, NoStepsError, ScheduleSyntaxError } from '../errors.js';
import { readSchedule } from '../schedule/operations.js';
import { EXIT } from './exit-codes.js';
import { SOURCE_OPTIONS, type SourceOptions } from './sources.js';
import { defineVerb, type VerbIO } from './verb.js';

/** `workflow check <planspace>`: validate the schedule and list every problem. */
export function checkCommand(io: VerbIO) {
  return defineVerb<[string], SourceOptions>(
    {
      usage: 'check <planspace>',
      summary:
        'Validate the schedule: every step line, attribute and need; with --skills, --models, --agents or --codespace ' +
        'also every remaining step ref and model and the exception handler, as `run` would. Lists all problems.',
      examples: [
        '$ workflow check ./plan',
        'OK: ./plan/schedule.md: 7 steps',
        '$ workflow check ./plan --skills ./skills --models ./models',
        "./plan/schedule.md:6: step 3: unknown model 'glm': no glm.toml in ...",
      ],
      options: SOURCE_OPTIONS,
    },
    io,
    async (planspace, options) => {
      let schedule;
      try {
        schedule = await readSchedule(planspace);
      } catch (error) {
        if (!(error instanceof ScheduleSyntaxError)) throw error;
        return {
          text: error.problems.map(formatProblem).join('\n'),
          json: { ok: false, problems: error.problems },
          exitCode: EXIT.usage,
        };
      }
      if (schedule.steps.length === 0) {
        const problem = new NoStepsError(schedule.file).message;
        return { text: problem, json: { ok: false, problems: [problem] }, exitCode: EXIT.usage };
      }
      const { codespace, skills, models, agents } = options;
      if ([codespace, skills, models, agents].some((source) => source !== undefined)) {
        // Loaded only here: the model and agent-file parsers (TOML, YAML) cost start-up time.
        const { PreflightError, preflight } = await import('../engine/preflight.js');
        try {
          await preflight(schedule, { codespace: codespace ?? process.cwd(), skills, models, agents });
        } catch (error) {
          if (!(error instanceof PreflightError)) throw error;
          return {
            text: error.problems.join('\n'),
            json: { ok: false, problems: error.problems },
            exitCode: EXIT.usage,
          };
        }
      }
      return {
        text: `OK: ${schedule.file}: ${schedule.steps.length} ${schedule.steps.length === 1 ? 'step' : 'steps'}`,
        json: { ok: true, file: schedule.file, steps: schedule.steps.length, problems: [] },
      };
    },
  );
}
