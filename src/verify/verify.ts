/**
 * Verification gates (issue 19): after a unit's agent reported success, the step's `verify:`
 * commands (or the run's `--verify` ones) run one after another with `sh -c` in the unit's
 * working tree; the first that does not exit 0 fails the attempt.
 *
 * A verification command is started and stopped as an agent is (`dispatch/spawn.ts`): in a
 * process tree of its own (`dispatch/trees.ts`), killed whole by the step's `timeout` (each
 * command has the whole timeout), by an abort and by Ctrl-C. It gets the unit's agent's
 * environment (`WORKFLOW_*`, the agents' `PATH`) and no standard input. Every command's
 * standard output and error go, interleaved as written, to the attempt's
 * `artifacts/<stem>-attempt-K-verify.txt`, each after a line `$ <command>`.
 */
import { closeSync, writeSync } from 'node:fs';
import { dispatchEnvironment } from '../dispatch/command.js';
import { startAgent } from '../dispatch/spawn.js';
import { agentName } from '../engine/attempt.js';
import { unitLabel, type EngineContext, type Unit } from '../engine/context.js';
import { NO_FOLLOW, openNoFollowSizeSync, openNoFollowSync } from '../fs/guard.js';
import { namePath } from '../fs/io-error.js';
import { readAtSync } from '../fs/read-at.js';
import { readTail } from '../fs/tail.js';
import type { Step } from '../schedule/step.js';
import { lastLines, VERIFY_PROMPT_LINES, verifyOutcome, verifyReason, type VerifyFailure } from './failure.js';

/** Bytes read from the end of a failed command's output for its last lines: 32 KiB. */
const OUTPUT_TAIL_BYTES = 32 * 1024;

/** The commands that verify `step`: its own `verify:` items, else the run's `--verify` ones. Pure. */
export function verifyCommands(step: Step, defaults: readonly string[]): readonly string[] {
  return step.attributes.verify ?? defaults;
}

/** The attempt being verified. */
export interface VerifyAttempt {
  /** The attempt's dispatch run id (its agent's `WORKFLOW_RUN_ID`). */
  readonly runId: string;
  /** 1 for the unit's first attempt in this run, 2 for its first retry, ... (for the log). */
  readonly attempt: number;
  /** `artifacts/<stem>-attempt-K-verify.txt` (see `artifacts.ts`). */
  readonly file: string;
  /** The commands, in order (see `verifyCommands`). */
  readonly commands: readonly string[];
}

/** How verifying an attempt ended. */
export type VerifyResult =
  | { readonly kind: 'passed' }
  | { readonly kind: 'failed'; readonly failure: VerifyFailure }
  /** The run was aborted while a command ran (or before one started); it was stopped. */
  | { readonly kind: 'aborted' };

/**
 * Writes `$ <command>` to the verification file, on a line of its own.
 *
 * @returns the file's size after it: where the command's own output starts.
 */
function writeHeader(file: string, command: string): number {
  const { fd, size } = openNoFollowSizeSync(file, NO_FOLLOW.appendRead);
  try {
    // The previous command's output may not end its last line.
    const newline = size > 0 && readAtSync(fd, 1, size - 1)[0] !== 0x0a ? '\n' : '';
    const header = Buffer.from(`${newline}$ ${command}\n`);
    let written = 0;
    while (written < header.length) written += writeSync(fd, header, written);
    return size + header.length;
  } catch (error) {
    throw namePath(error, file);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs an attempt's verification commands in `cwd`, in order, until one fails.
 *
 * Logs `verify-started` before each command and `verify-passed` or `verify-failed` after it
 * (`events.jsonl` and `log.md`). Creates (or empties) `attempt.file` first.
 *
 * @param cwd - the unit's working tree: the codespace, or the unit's own git worktree.
 * @returns `passed` when every command exited 0; `failed` with the first failure (its exit,
 *   and the last `VERIFY_PROMPT_LINES` lines of its own output); `aborted` when the run
 *   stopped meanwhile (the running command's tree is killed).
 * @throws {UnsafePathError} if the verification file is a symbolic link; the `fs` error if it
 *   cannot be written (a full disk), or when `artifacts/` was swapped (`FolderReplacedError`).
 */
export async function runVerify(
  ctx: EngineContext,
  unit: Unit,
  attempt: VerifyAttempt,
  cwd: string,
): Promise<VerifyResult> {
  const { step, block } = unit;
  const { runId, file } = attempt;
  ctx.artifacts.assertSame();
  closeSync(openNoFollowSync(file, NO_FOLLOW.replace));
  const env = dispatchEnvironment(
    {
      planspace: ctx.paths.root,
      codespace: ctx.sources.codespace,
      step: step.number,
      runId,
      agent: agentName(unit),
      models: step.models,
      block,
    },
    ctx.environment,
  );
  const { timeoutMs } = step.attributes;
  ctx.running(unit, runId, true);
  try {
    for (const [index, command] of attempt.commands.entries()) {
      if (ctx.signal.aborted) return { kind: 'aborted' };
      ctx.artifacts.assertSame();
      const from = writeHeader(file, command);
      const fields = { step: step.number, block, attempt: attempt.attempt, runId, command };
      await ctx.log({ event: 'verify-started', ...fields, output: file }, `${unitLabel(unit)}: verifying: ${command}`);
      // Unique in the run, as `open` wants: the attempt's own tree was closed with its agent.
      const tree = await ctx.trees.open(`${runId}-verify-${index + 1}`, { ownCgroup: timeoutMs !== undefined });
      ctx.artifacts.assertSame();
      const running = startAgent(
        { file: '/bin/sh', args: ['-c', command], inputFile: undefined, env },
        {
          cwd,
          outputFile: file,
          append: true,
          timeoutMs,
          killGraceMs: ctx.timings.killGraceMs,
          signal: ctx.signal,
          tree,
        },
      );
      const exit = await running.exit;
      // The signal may have aborted while it ran; TypeScript keeps the narrowing from above.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (ctx.signal.aborted) return { kind: 'aborted' };
      if (exit.exitCode === 0) {
        await ctx.log({ event: 'verify-passed', ...fields }, `${unitLabel(unit)}: verify passed: ${command}`);
        continue;
      }
      const failure: VerifyFailure = {
        command,
        exitCode: exit.exitCode,
        signal: exit.signal,
        timedOut: exit.timedOut,
        ...(exit.timedOut && timeoutMs !== undefined && { timeoutMs }),
        ...(exit.failedToStart !== undefined && { failedToStart: exit.failedToStart }),
        output: lastLines(await readTail(file, OUTPUT_TAIL_BYTES, from), VERIFY_PROMPT_LINES),
        file,
        ...(block !== undefined && { block }),
      };
      await ctx.log(
        {
          event: 'verify-failed',
          ...fields,
          exitCode: exit.exitCode ?? null,
          signal: exit.signal ?? null,
          timedOut: exit.timedOut,
          reason: verifyOutcome(failure),
          output: file,
        },
        `${unitLabel(unit)}: ${verifyReason(failure)}`,
      );
      return { kind: 'failed', failure };
    }
    return { kind: 'passed' };
  } finally {
    ctx.running(unit, runId, false);
  }
}
