import { initPlanspace, parseSettings } from '../planspace/init.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** Options of `workflow init`. */
interface InitOptions extends CommonOptions {
  readonly template: string;
  readonly set?: string[];
}

/** `workflow init <planspace> --template <name|path> --set key=value`: a new planspace. */
export function initCommand(io: VerbIO) {
  return defineVerb<[string], InitOptions>(
    {
      usage: 'init <planspace>',
      planspace: 'created',
      summary: 'Create a planspace from a schedule template, filling its {{key}} placeholders.',
      examples: [
        '$ workflow init ./plan --template feature --set name=x --set "goal=a flag"',
        'initialised ./plan/schedule.md: 5 steps',
      ],
      options: [
        ['--template <name|path>', 'a template from templates/schedules/ (feature) or a markdown file', 'required'],
        ['--set <key=value...>', 'a placeholder value; repeat for each placeholder'],
      ],
    },
    io,
    async (planspace, options) => {
      const result = await initPlanspace(planspace, options.template, parseSettings(options.set ?? []));
      return { text: `initialised ${result.schedule}: ${result.steps} steps`, json: result };
    },
  );
}
