/**
 * `workflow artifacts`: the outputs steps recorded (`outputs:`), and whether they are still as
 * recorded. The work is in `src/outputs/`.
 */
import { resolve } from 'node:path';
import type { CheckedOutput } from '../outputs/inventory.js';
import type { OutputRecord } from '../outputs/record.js';
import { printable } from '../text/printable.js';
import { EXIT } from './exit-codes.js';
import { defineVerb, parseStepNumber, type CommonOptions, type VerbIO, type VerbOutput } from './verb.js';

/** One recorded output as a line: step, path, size, hash, attempt, run. */
function outputLine(record: OutputRecord): string {
  return (
    `step ${record.step}  ${printable(record.path)}  ${record.bytes} bytes  sha256 ${record.sha256}  ` +
    `attempt ${record.attempt}  run ${record.runId}`
  );
}

/** One output changed or missing since it was recorded, as a line. */
function changeLine({ record, state, now }: CheckedOutput): string {
  const was = `recorded ${record.bytes} bytes sha256 ${record.sha256}`;
  const is = now === undefined ? '' : `, now ${now.bytes} bytes sha256 ${now.sha256}`;
  return `${state}  step ${record.step}  ${printable(record.path)}  (${was}${is})`;
}

/** What `--verify` prints: each output changed or missing, then a count; exit 1 if any. */
function verifyOutput(checked: readonly CheckedOutput[], where: string): VerbOutput {
  const changed = checked.filter((entry) => entry.state !== 'same');
  const json = {
    outputs: checked.map(({ record, state, now, file }) => ({ ...record, state, file, now: now ?? null })),
    changed: changed.length,
  };
  if (checked.length === 0) return { text: `no outputs recorded ${where}`, json };
  const count = `${checked.length} output${checked.length === 1 ? '' : 's'}`;
  if (changed.length === 0) return { text: `${checked.length === 1 ? count : `all ${count}`} as recorded`, json };
  const lines = changed.map(changeLine);
  lines.push(`${changed.length} of ${count} changed or missing since recorded`);
  return { text: lines.join('\n'), json, exitCode: EXIT.condition };
}

/** `workflow artifacts <planspace> [N] [--verify] [--codespace <dir>] [--json]`. */
export function artifactsCommand(io: VerbIO) {
  return defineVerb<[string, string | undefined], CommonOptions & { verify?: boolean; codespace?: string }>(
    {
      usage: 'artifacts <planspace> [N]',
      summary:
        'List the output files steps recorded (outputs:), of every step or of step N: path in the codespace, size, ' +
        'sha256, attempt and run. --verify hashes each again and lists those changed or missing since.',
      examples: [
        '$ workflow artifacts ./plan',
        'step 2  dist/app.js  1834 bytes  sha256 9f2c...e0d1  attempt 1  run r-mwr7hpe6-2-1',
        '$ workflow artifacts ./plan --verify',
        'changed  step 2  dist/app.js  (recorded 1834 bytes sha256 9f2c...e0d1, now 1840 bytes sha256 1b7d...3aa0)',
        '1 of 1 output changed or missing since recorded',
      ],
      options: [
        ['--verify', 'hash every recorded output again; list each changed or missing (exit 1 if any)'],
        ['--codespace <dir>', 'look for the files here instead of the codespace they were recorded in (it moved)'],
      ],
      exitCodes: ['1  --verify: an output changed or missing since it was recorded'],
    },
    io,
    async (planspace, stepText, options) => {
      const step = parseStepNumber(stepText);
      const { planspacePaths } = await import('../planspace/paths.js');
      const { checkOutputs, readAllOutputs } = await import('../outputs/inventory.js');
      const records = await readAllOutputs(planspacePaths(planspace).artifacts, step);
      const where = step === undefined ? `in ${planspace}` : `for step ${step} in ${planspace}`;
      if (options.verify === true) {
        const codespace = options.codespace === undefined ? undefined : resolve(options.codespace);
        return verifyOutput(await checkOutputs(records, codespace), where);
      }
      const json = { outputs: records };
      if (records.length === 0) return { text: `no outputs recorded ${where}`, json };
      return { text: records.map(outputLine).join('\n'), json };
    },
  );
}
