/**
 * The one door to git: every git operation of the engine runs the `git` CLI through `git()`,
 * so what planspace does to a repository is what a person would type, and there is one place
 * that sets the environment git runs with.
 */
import { execFile } from 'node:child_process';
import { PlanspaceError } from '../errors.js';

/** A git command exited non-zero, or could not be started (git not installed). */
export class GitError extends PlanspaceError {
  /** The arguments after `git`, e.g. `['merge', '--no-ff', 'planspace/r1/step-3']`. */
  readonly args: readonly string[];
  /** git's exit code; undefined when git could not be started (ENOENT) or was killed. */
  readonly exitCode: number | undefined;
  /** What git wrote to standard output and standard error, whole. */
  readonly stdout: string;
  readonly stderr: string;

  constructor(
    args: readonly string[],
    cwd: string,
    result: { exitCode: number | undefined; stdout: string; stderr: string },
    options?: ErrorOptions,
  ) {
    const reason = result.stderr.trim().split('\n').slice(-3).join(' / ') || `exit code ${String(result.exitCode)}`;
    super('E_GIT', `git ${args.join(' ')} (in ${cwd}) failed: ${reason}`, options);
    this.args = args;
    this.exitCode = result.exitCode;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}

/** Options of `git()`. */
export interface GitOptions {
  /** Extra environment variables on top of the process's (e.g. `GIT_INDEX_FILE`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Text written to git's standard input; default none (stdin is closed). */
  readonly input?: string;
  /** Exit codes other than 0 that are answers, not failures (e.g. `[1]` for `diff --quiet`). */
  readonly allowExitCodes?: readonly number[];
}

/** What a git command printed, and its exit code (0, or one of `allowExitCodes`). */
export interface GitResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `git <args>` in `cwd`, never through a shell, with prompts and pagers off and a fixed
 * locale (so messages can be matched), output read whole (up to 256 MiB).
 *
 * @throws GitError when git exits with a code not 0 and not in `allowExitCodes`, or cannot start.
 */
export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...args],
      {
        cwd,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_PAGER: 'cat',
          LC_ALL: 'C',
          ...options.env,
        },
      },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : undefined;
        if (!error) resolve({ exitCode: 0, stdout, stderr });
        else if (code !== undefined && options.allowExitCodes?.includes(code))
          resolve({ exitCode: code, stdout, stderr });
        else reject(new GitError(args, cwd, { exitCode: code, stdout, stderr }, { cause: error }));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** `git()` for commands whose one answer is a line: its stdout with the final newline removed. */
export async function gitLine(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  const { stdout } = await git(cwd, args, options);
  return stdout.replace(/\n$/, '');
}
