/**
 * OUTPUTS (see `attempt.ts`): an attempt whose agent succeeded must have produced the step's
 * declared outputs (`outputs:`) before its verification runs; once it has succeeded (verified,
 * and under isolation merged), its output files are recorded with their sizes and hashes in
 * `artifacts/step-N-outputs.json` (`outputs/record.ts`) for the steps that need it.
 */
import { git } from '../git/git.js';
import { digestFile, matchOutputs } from '../outputs/match.js';
import { inputsSection, missingOutputsReason, type NeedOutputs } from '../outputs/prompt.js';
import { OutputsFileError, readOutputRecords, writeOutputRecords, type OutputRecord } from '../outputs/record.js';
import type { Step } from '../schedule/step.js';
import type { AttemptResult } from './attempt.js';
import { unitLabel, unitStem, type EngineContext, type Unit } from './context.js';
import { verifyAttempt } from './verify-attempt.js';

/** An attempt proven by its outputs and its verification, with the outputs to record on success. */
export interface ProvenAttempt {
  readonly result: AttemptResult;
  /** The output files with their digests, when the attempt succeeded; [] otherwise or for none. */
  readonly outputs: readonly OutputRecord[];
}

/** Where the attempt ran and which of its numbers it is. */
export interface AttemptPlace {
  /** 1 for the first attempt of this run of the unit, 2 for its first retry, ... */
  readonly attempt: number;
  /** K of the attempt's artifact files, over the planspace's life. */
  readonly number: number;
  /** The unit's working tree: the codespace, or its worktree (the codespace's folder in it). */
  readonly workdir: string;
  /** True when `workdir` is a worktree whose work is merged into the codespace. */
  readonly isolated: boolean;
}

/**
 * Proves an attempt: the declared outputs first (a missing one fails it, named in the failure
 * `missing outputs: a, b` and kept in `ctx.outputsMissing` for the next attempt's prompt), then
 * `verify:` (`verifyAttempt`), then the digests of the output files, read in the working tree
 * before any merge. Under isolation, an output git ignores also fails the attempt: the merge
 * would leave it out of the codespace.
 *
 * @returns the attempt's result (failed, verified or as it was), with the outputs to record.
 * @throws the `fs` errors of reading the working tree; {GitError} when `git check-ignore` fails.
 */
export async function proveAttempt(
  ctx: EngineContext,
  unit: Unit,
  result: AttemptResult,
  place: AttemptPlace,
): Promise<ProvenAttempt> {
  const stem = unitStem(unit);
  const patterns = unit.step.attributes.outputs ?? [];
  if (result.failure !== undefined || result.files === undefined || patterns.length === 0) {
    ctx.outputsMissing.delete(stem);
    return { result: await verifyAttempt(ctx, unit, place.attempt, result, place.workdir), outputs: [] };
  }
  const matched = await matchOutputs(place.workdir, patterns);
  const ignored = place.isolated ? await ignoredByGit(place.workdir, matched.files) : [];
  if (matched.missing.length > 0 || ignored.length > 0)
    return { result: await missing(ctx, unit, result, matched.missing, ignored), outputs: [] };
  ctx.outputsMissing.delete(stem);
  const verified = await verifyAttempt(ctx, unit, place.attempt, result, place.workdir);
  if (verified.failure !== undefined) return { result: verified, outputs: [] };
  const outputs: OutputRecord[] = [];
  const gone: string[] = [];
  for (const path of matched.files) {
    // Read after verification: what is recorded is what the step leaves (and merges).
    const digest = await digestFile(`${place.workdir}/${path}`);
    if (digest === undefined) gone.push(path);
    else {
      outputs.push({
        path,
        ...digest,
        step: unit.step.number,
        attempt: place.number,
        runId: result.runId,
        codespace: ctx.sources.codespace,
      });
    }
  }
  if (gone.length > 0) return { result: await missing(ctx, unit, verified, gone, []), outputs: [] };
  return { result: verified, outputs };
}

/** The paths of `files` (relative to `tree`) that git ignores there. */
async function ignoredByGit(tree: string, files: readonly string[]): Promise<string[]> {
  if (files.length === 0) return [];
  // Exit 1: none is ignored.
  const { stdout } = await git(tree, ['check-ignore', '-z', '--stdin'], {
    input: files.map((file) => `${file}\0`).join(''),
    allowExitCodes: [1],
  });
  return stdout.split('\0').filter((path) => path !== '');
}

/** Fails the attempt for missing (or ignored) outputs: logs it and keeps them for the next prompt. */
async function missing(
  ctx: EngineContext,
  unit: Unit,
  result: AttemptResult,
  paths: readonly string[],
  ignored: readonly string[],
): Promise<AttemptResult> {
  const all = [...paths, ...ignored.map((path) => `${path} (ignored by git, so never merged)`)];
  ctx.outputsMissing.set(unitStem(unit), all);
  ctx.verifyFailures.delete(unitStem(unit));
  const failure = missingOutputsReason(all);
  await ctx.log(
    {
      event: 'outputs-missing',
      step: unit.step.number,
      block: unit.block,
      runId: result.runId,
      missing: paths,
      ignored,
    },
    `${unitLabel(unit)}: ${failure}`,
  );
  return { ...result, failure };
}

/**
 * Records a succeeded attempt's outputs in `artifacts/step-N-outputs.json` (atomically) and logs
 * it. Nothing for an attempt without outputs.
 *
 * @throws the `fs` error of the write, naming the file; the old record is then as it was.
 */
export async function recordOutputs(ctx: EngineContext, unit: Unit, outputs: readonly OutputRecord[]): Promise<void> {
  if (outputs.length === 0) return;
  ctx.artifacts.assertSame();
  await writeOutputRecords(ctx.paths.artifacts, unit.step.number, outputs);
  const bytes = outputs.reduce((sum, output) => sum + output.bytes, 0);
  await ctx.log(
    { event: 'outputs-recorded', step: unit.step.number, files: outputs.length, bytes },
    `${unitLabel(unit)}: recorded ${outputs.length} output file${outputs.length === 1 ? '' : 's'} (${bytes} bytes)`,
  );
}

/**
 * The "Inputs" section of `step`'s prompt (`outputs/prompt.ts`): the outputs its needs
 * recorded, read from their `artifacts/step-M-outputs.json`. '' when they recorded none.
 *
 * @param workdir - the agent's working folder (the codespace or its worktree).
 * @throws the `fs` errors of reading a record other than a missing file.
 */
export async function stepInputs(ctx: EngineContext, step: Step, workdir: string): Promise<string> {
  const needs: NeedOutputs[] = [];
  for (const { number: need, attributes } of ctx.needsOf(step)) {
    // Only a need that declares outputs has a record: no file system call per dispatch for the
    // others, which keeps a step's cost independent of this feature.
    if (attributes.outputs === undefined) continue;
    try {
      const records = await readOutputRecords(ctx.paths.artifacts, need);
      if (records !== undefined) needs.push({ step: need, records });
    } catch (error) {
      // A record edited by hand fails no step: the agent is told, and the run goes on.
      if (!(error instanceof OutputsFileError)) throw error;
      needs.push({ step: need, records: [], unreadable: error.message });
    }
  }
  return inputsSection(needs, ctx.sources.codespace, workdir);
}
