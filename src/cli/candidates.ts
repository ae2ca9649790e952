import { UsageError } from '../errors.js';
import { colourEnabled, makeColours } from './colours.js';
import { defineVerb, parseStepNumber, type CommonOptions, type VerbIO } from './verb.js';

/** `workflow candidates <planspace> <N> [--json]`: a step's candidates and the pick. */
export function candidatesCommand(io: VerbIO) {
  return defineVerb<[string, string], CommonOptions>(
    {
      usage: 'candidates <planspace> <N>',
      summary:
        "Show the latest round of step N's candidates (a step with candidates:): each one's model, status, verify result, files " +
        "changed, lines added and removed, duration and whether it was picked; then the judge's pick and reason. " +
        '--json prints the record artifacts/step-N-candidates.json as the engine wrote it.',
      examples: [
        '$ workflow candidates ./plan 3',
        'step 3, round 1 of run rmx1k2: 3 candidates, judge smallest',
        'k  model  status    verify  files  +/-      duration  picked',
        '1  opus   eligible  passed  3      +48/-12  2m 10s',
        '2  codex  eligible  passed  2      +21/-4   1m 42s    *',
        '3  glm    failed    failed  2      +30/-2   1m 55s',
        'picked 2/3 (codex): the smallest diff (25 lines)',
        'candidate 3 failed: verify failed: npm test (exit 1)',
      ],
      exitCodes: ['2  no step N, or step N has no candidates record (not a candidates step, or not run yet)'],
    },
    io,
    async (planspace, step) => {
      const number = parseStepNumber(step);
      if (number === undefined) throw new UsageError('give the step number: workflow candidates <planspace> <N>');
      // Loaded only here: the schedule verbs' start-up bundle need not carry them.
      const { loadCandidatesRecord } = await import('../candidates/load.js');
      const { formatCandidatesTable } = await import('./candidates-table.js');
      const record = await loadCandidatesRecord(planspace, number);
      const colours = makeColours(colourEnabled({ env: io.env, isTTY: io.isTTY }));
      return { text: formatCandidatesTable(record, colours), json: record };
    },
  );
}
