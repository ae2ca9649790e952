import { ScheduleSyntaxError } from '../errors.js';
import { parseStepLine } from '../schedule/parse.js';
import { stepToJson } from './step-json.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/**
 * `workflow parse [planspace] <line>`: split a step line into its fields. The planspace
 * argument is accepted (and ignored) so that calls written for the original scripts work.
 */
export function parseCommand(io: VerbIO) {
  return defineVerb<[string, string | undefined], CommonOptions>(
    {
      usage: 'parse <planspace-or-line> [line]',
      summary:
        'Print a step line\'s fields as six lines: status=, num=, name=, model=, desc=, ref=. A leading "<digits>:" (from next) is removed.',
      examples: [
        '$ workflow parse ./plan "$(workflow next ./plan)"',
        'status=[run]',
        'num=3',
        'name=scan',
        'model=glm',
        'desc=file relevance scan',
        'ref=implement.md Stage 3',
      ],
    },
    io,
    (first, second) => {
      const text = (second ?? first).replace(/^\d+:/, '');
      const result = parseStepLine(text, { file: '<line>' });
      if (!result.ok) throw new ScheduleSyntaxError(result.problems);
      const { step } = result;
      const lines = [
        `status=[${step.status}]`,
        `num=${step.number}`,
        `name=${step.name}`,
        `model=${step.models.join(',')}`,
        `desc=${step.description}`,
        `ref=${step.ref ?? ''}`,
      ];
      return { text: lines.join('\n'), json: stepToJson(step) };
    },
  );
}
