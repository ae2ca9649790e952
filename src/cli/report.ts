import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** `workflow report <planspace>`: per step status, attempts, times, exit code, last message, questions. */
export function reportCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'report <planspace>',
      summary:
        'Report each step: status, attempts, start, end, duration, exit code, pending questions and last message; ' +
        "then each step's last failure with its output's last lines; then totals.",
      examples: [
        '$ workflow report ./plan',
        'step  name       status  attempts  start     end       duration  exit  ...',
        '1    decompose  done    1         02:30:01  02:30:09  8.0s      0     ...',
        '2    scan       fail    3         02:30:09  02:31:40  1m 31s    1     ...',
        'step 2 last failure: stalled',
        'total: 2 steps (1 done, 1 failed); 4 attempts; 1 question pending; 1m 39s ...',
      ],
    },
    io,
    async (planspace) => {
      const { buildReport, formatReport } = await import('../engine/report.js');
      const report = await buildReport(planspace);
      return { text: formatReport(report), json: report };
    },
  );
}
