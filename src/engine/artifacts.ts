/**
 * The prompt and output files of each attempt (DESIGN.md §1, `artifacts/`). Every attempt
 * keeps its own, so that a retry does not replace the output of the attempt that failed:
 *
 * ```text
 * artifacts/step-2-attempt-1-prompt.md    step 2's first attempt
 * artifacts/step-2-attempt-1-output.md
 * artifacts/step-2-attempt-2-prompt.md    its retry
 * artifacts/step-2-attempt-2-output.md
 * artifacts/step-2-prompt.md              the latest attempt's files under the names DESIGN.md
 * artifacts/step-2-output.md              gives: hard links, the same file under a second name
 * artifacts/step-2-attempt-2-verify.txt   the output of its verification commands (`verify:`),
 *                                         when its agent succeeded and the step has any
 * ```
 *
 * The same for blocks (`step-2-block-a-attempt-1-output.md`) and the exception handler
 * (`exception-2-attempt-1-output.md`). Attempts are numbered 1, 2, ... per unit over the
 * planspace's life: a retry after a fix, a human's `retry` or a later `workflow run` goes on
 * from the highest number in `artifacts/`, so no run overwrites another's files.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';

/** The files of one attempt of a unit (`step-N`, `step-N-block-X` or `exception-N`). */
export interface AttemptFiles {
  /** `<stem>-attempt-K-prompt.md`. */
  readonly prompt: string;
  /** `<stem>-attempt-K-output.md`: the agent's standard output and error. */
  readonly output: string;
  /**
   * `<stem>-attempt-K-verify.txt`: the output of the attempt's verification commands, one after
   * another, each after a line `$ <command>`.
   */
  readonly verify: string;
  /** `<stem>-prompt.md`: made a link to `prompt`. */
  readonly latestPrompt: string;
  /** `<stem>-output.md`: made a link to `output`. */
  readonly latestOutput: string;
}

/** The paths of attempt `attempt` (1, 2, ...) of the unit whose files start with `stem`. Pure. */
export function attemptFiles(artifacts: string, stem: string, attempt: number): AttemptFiles {
  return {
    prompt: join(artifacts, `${stem}-attempt-${attempt}-prompt.md`),
    output: join(artifacts, `${stem}-attempt-${attempt}-output.md`),
    verify: join(artifacts, `${stem}-attempt-${attempt}-verify.txt`),
    latestPrompt: join(artifacts, `${stem}-prompt.md`),
    latestOutput: join(artifacts, `${stem}-output.md`),
  };
}

/**
 * The highest attempt number among `names` (file names in `artifacts/`) for `stem`; 0 if none.
 * `step-1` does not count `step-1-block-a-attempt-3-output.md` or `step-10-attempt-2-output.md`.
 * Pure.
 */
export function highestAttempt(names: readonly string[], stem: string): number {
  const prefix = `${stem}-attempt-`;
  let highest = 0;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)-(?:prompt|output)\.md$/.exec(name.slice(prefix.length));
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest;
}

/** Hands out attempt numbers per stem for one run, after those already in `artifacts/`. */
export class AttemptNumbers {
  readonly #artifacts: string;
  readonly #last = new Map<string, number>();
  /** `artifacts/` as the run found it, read at the first dispatch (once per run). */
  #names: readonly string[] | undefined;

  constructor(artifacts: string) {
    this.#artifacts = artifacts;
  }

  /**
   * The next attempt number of `stem`: 1 + the highest found in `artifacts/` or handed out
   * before by this run.
   *
   * @throws the `fs` error of reading `artifacts/`, but for a missing folder (no attempts yet).
   */
  next(stem: string): number {
    const next = (this.#last.get(stem) ?? highestAttempt(this.#listing(), stem)) + 1;
    this.#last.set(stem, next);
    return next;
  }

  #listing(): readonly string[] {
    if (this.#names === undefined) {
      try {
        this.#names = readdirSync(this.#artifacts);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
        this.#names = [];
      }
    }
    return this.#names;
  }
}
