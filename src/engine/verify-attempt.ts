/**
 * VERIFY (see `attempt.ts`): an attempt whose agent succeeded is proven by the step's
 * verification commands before it counts as a success (and, under isolation, before its work
 * is merged).
 */
import { verifyReason } from '../verify/failure.js';
import { runVerify, verifyCommands } from '../verify/verify.js';
import type { AttemptResult } from './attempt.js';
import { unitStem, type EngineContext, type Unit } from './context.js';
import { outputTail } from './output-tail.js';

/**
 * The verification of an attempt whose agent succeeded (`runVerify`), in the unit's working
 * tree: the codespace, or the unit's worktree under isolation. Keeps the unit's latest
 * verification failure in `ctx.verifyFailures` for its next attempt's prompt.
 *
 * @param attempt - 1 for the first attempt, 2 for the first retry, ... (of this run of the unit).
 * @param result - how the attempt's agent ended; returned as it is when it failed.
 * @param workdir - the unit's working tree, where the commands run.
 * @returns the attempt's result; for a failed verification, with the failure `verify failed:
 *   <command> (exit N)`, `verification` and the last lines of the command's output as
 *   `outputTail`; `aborted` when the run was aborted during the verification.
 */
export async function verifyAttempt(
  ctx: EngineContext,
  unit: Unit,
  attempt: number,
  result: AttemptResult,
  workdir: string,
): Promise<AttemptResult> {
  const stem = unitStem(unit);
  const commands = verifyCommands(unit.step, ctx.verify);
  if (result.failure !== undefined || result.files === undefined || commands.length === 0) {
    ctx.verifyFailures.delete(stem);
    return result;
  }
  const file = result.files.verify;
  const verified = await runVerify(ctx, unit, { runId: result.runId, attempt, file, commands }, workdir);
  if (verified.kind === 'passed') {
    ctx.verifyFailures.delete(stem);
    return result;
  }
  if (verified.kind === 'aborted') return { ...result, failure: 'aborted' };
  ctx.verifyFailures.set(stem, verified.failure);
  const tail = outputTail(verified.failure.output);
  return {
    ...result,
    failure: verifyReason(verified.failure),
    verification: verified.failure,
    ...(tail !== '' && { outputTail: tail }),
  };
}
