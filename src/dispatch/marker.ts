/**
 * The environment marker: where the engine may not create cgroups, it finds an agent's
 * descendants by a variable every one of them inherits, `PLANSPACE_AGENT`, whatever process
 * group or session they moved to. Its value is a blank-separated list of tokens, one per
 * engine an agent runs under (an agent may itself run `workflow run`): `<engine pid>.<run id>`.
 *
 * Linux only (it reads `/proc/<pid>/environ`); elsewhere it finds nothing. A process that
 * clears its environment escapes it: cgroups have no such gap.
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

/** The variable naming the engine runs an agent process belongs to. */
export const AGENT_MARKER = 'PLANSPACE_AGENT';

/** `base`'s marker tokens (an outer engine's) followed by `token`: the value of `PLANSPACE_AGENT`. */
export function markerValue(token: string, base: string | undefined): string {
  const tokens = (base ?? '').split(' ').filter((each) => each !== '' && each !== token);
  return [...tokens, token].join(' ');
}

/** Reused by every read: a sweep reads many small files, and a new buffer each is most of its cost. */
const scratch = Buffer.allocUnsafe(64 * 1024);

/** A `/proc` file's content as latin1 (its size is not known before reading it). */
function readProcFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let text = '';
    for (;;) {
      const count = readSync(fd, scratch, 0, scratch.length, null);
      if (count === 0) return text;
      text += scratch.toString('latin1', 0, count);
    }
  } finally {
    closeSync(fd);
  }
}

/** The marker tokens in a process's environment; undefined if it is gone or not ours to read. */
function markerTokens(pid: number): string[] | undefined {
  let environ: string;
  try {
    environ = readProcFile(`/proc/${pid}/environ`);
  } catch (error) {
    // Gone meanwhile, or another user's (whose processes we could not signal anyway).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ESRCH' || code === 'EPERM') return undefined;
    throw error;
  }
  const prefix = `${AGENT_MARKER}=`;
  let start: number;
  if (environ.startsWith(prefix)) start = prefix.length;
  else {
    const at = environ.indexOf(`\0${prefix}`);
    if (at === -1) return undefined;
    start = at + 1 + prefix.length;
  }
  const end = environ.indexOf('\0', start);
  return environ.slice(start, end === -1 ? undefined : end).split(' ');
}

/**
 * Sends `signal` to every process other than this one whose marker holds a token for which
 * `matches` is true. Each process's environment is read right before it is signalled, so a pid
 * reused by an unrelated process since an earlier look is left alone. For SIGKILL the sweep is
 * repeated until it finds nothing (up to 10 rounds): a process forked during one round is
 * found by the next.
 *
 * @param candidates - the pids to look at (default: every process, from `/proc`); in a
 *   cgroup, its `cgroup.procs`.
 * @returns the pids signalled.
 */
export function signalMarked(
  matches: (token: string) => boolean,
  signal: NodeJS.Signals,
  candidates: () => Iterable<number | string> = () => readdirSync('/proc'),
): number[] {
  if (process.platform !== 'linux') return [];
  const signalled: number[] = [];
  const rounds = signal === 'SIGKILL' ? 10 : 1;
  for (let round = 0; round < rounds; round += 1) {
    let found = 0;
    for (const entry of candidates()) {
      const pid = Number(entry);
      if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) continue;
      if (!markerTokens(pid)?.some(matches)) continue;
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ESRCH') continue;
        throw error;
      }
      found += 1;
      signalled.push(pid);
    }
    if (found === 0) break;
  }
  return signalled;
}
