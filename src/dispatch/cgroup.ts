/**
 * cgroup v2 folders as process containers: every process started inside one stays inside,
 * whatever it does (`setsid`, a double fork, a daemon), until it exits; so killing the folder's
 * processes kills every descendant of the agents started in it. Linux only.
 *
 * Files of the unified hierarchy this module reads and writes:
 * - `/proc/self/mountinfo`: where `cgroup2` is mounted (`/sys/fs/cgroup`, or
 *   `/sys/fs/cgroup/unified` on hybrid systems);
 * - `/proc/self/cgroup`: the line `0::<path>` names this process's own cgroup;
 * - `<cgroup>/cgroup.procs`: one pid per line; writing a pid moves that process in;
 * - `<cgroup>/cgroup.kill` (Linux 5.14+): writing `1` SIGKILLs every process of the subtree;
 * - `<cgroup>/cgroup.events`: `populated 0` once no process is left in the subtree.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The errno codes meaning "no cgroup v2 here, or not ours to write". */
const UNAVAILABLE = new Set(['ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EOPNOTSUPP', 'EINVAL']);

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/**
 * The folder of this process's own cgroup in the unified (v2) hierarchy, if there is one and
 * this process may create cgroups under it and move processes into them; else undefined.
 *
 * @throws only for unexpected `fs` errors; a missing or read-only hierarchy gives undefined.
 */
export function ownCgroupFolder(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  let mountinfo: string;
  let membership: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    membership = readFileSync('/proc/self/cgroup', 'utf8');
  } catch (error) {
    if (UNAVAILABLE.has(errnoOf(error) ?? '')) return undefined;
    throw error;
  }
  const own = membership.split('\n').find((line) => line.startsWith('0::'));
  if (own === undefined) return undefined;
  const path = own.slice(3);
  for (const line of mountinfo.split('\n')) {
    // `id parent major:minor root mountpoint options [optional...] - fstype source superoptions`
    const [before, after] = line.split(' - ');
    if (after?.split(' ')[0] !== 'cgroup2' || before === undefined) continue;
    const fields = before.split(' ');
    const root = unescapeMount(fields[3] ?? '');
    const mount = unescapeMount(fields[4] ?? '');
    // A mount of a subtree (containers): the path must lie inside it.
    if (root !== '/' && path !== root && !path.startsWith(`${root}/`)) continue;
    const folder = join(mount, root === '/' ? path : path.slice(root.length));
    try {
      accessSync(join(folder, 'cgroup.procs'), constants.W_OK);
      accessSync(folder, constants.W_OK);
    } catch (error) {
      if (UNAVAILABLE.has(errnoOf(error) ?? '')) return undefined;
      throw error;
    }
    return folder;
  }
  return undefined;
}

/** mountinfo escapes blanks, tabs, newlines and backslashes as octal `\040`. */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Creates the cgroup `folder` (its parent must exist). Asynchronous: the kernel takes a
 * millisecond or two to set a cgroup up, which 64 agents starting at once would otherwise
 * spend on the engine's one thread.
 *
 * @returns false if the hierarchy refuses it (read-only, not ours).
 * @throws other `fs` errors, and EEXIST.
 */
export async function createCgroup(folder: string): Promise<boolean> {
  try {
    await mkdir(folder, { mode: 0o755 });
    return true;
  } catch (error) {
    if (UNAVAILABLE.has(errnoOf(error) ?? '')) return false;
    throw error;
  }
}

/**
 * Moves the process `pid` (all its threads) into the cgroup `folder`; its children forked from
 * then on are born there.
 *
 * @throws the `fs` error if the hierarchy refuses the move.
 */
export function moveInto(folder: string, pid: number): void {
  writeFileSync(join(folder, 'cgroup.procs'), String(pid));
}

/**
 * `moveInto` off this thread: moving a process with several threads waits for the kernel to
 * quiesce (10 ms and more on a loaded machine), time the engine can spend on other start-up work.
 */
export async function moveIntoLater(folder: string, pid: number): Promise<void> {
  await writeFile(join(folder, 'cgroup.procs'), String(pid));
}

/** The child cgroup folders of `folder`, deepest first. */
function descendants(folder: string): string[] {
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const child = join(folder, entry.name);
      return [...descendants(child), child];
    });
}

/** The pids in the cgroup `folder` and every cgroup below it; [] if it is gone. */
export function cgroupPids(folder: string): number[] {
  const pids: number[] = [];
  for (const each of [...descendants(folder), folder]) {
    let text: string;
    try {
      text = readFileSync(join(each, 'cgroup.procs'), 'utf8');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENODEV') continue;
      throw error;
    }
    for (const line of text.split('\n')) if (line !== '') pids.push(Number(line));
  }
  return pids;
}

/** Sends `signal` to a pid; false if it is gone. */
function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Sends `signal` to every process of the cgroup `folder` and below: SIGKILL through
 * `killCgroup`, any other signal to each listed pid (one forked meanwhile may be missed: a
 * SIGKILL follows a SIGTERM's grace).
 */
export function signalCgroup(folder: string, signal: 'SIGTERM' | 'SIGKILL'): void {
  if (signal === 'SIGKILL') {
    killCgroup(folder);
    return;
  }
  for (const pid of cgroupPids(folder)) signalPid(pid, signal);
}

/**
 * SIGKILLs every process of the cgroup `folder` and below, at once: with `cgroup.kill`, or,
 * before Linux 5.14, by killing the listed pids until none is left (a process forked meanwhile
 * is listed in the next round).
 */
export function killCgroup(folder: string): void {
  try {
    writeFileSync(join(folder, 'cgroup.kill'), '1');
    return;
  } catch (error) {
    // ENOENT: no cgroup.kill on this kernel, or the folder is gone; the loop tells which.
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
  for (let round = 0; round < 100; round += 1) {
    const pids = cgroupPids(folder);
    if (pids.length === 0) return;
    for (const pid of pids) signalPid(pid, 'SIGKILL');
  }
}

/** True while a process is left in the cgroup `folder` or below it. */
function isPopulated(folder: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(folder, 'cgroup.events'), 'utf8'));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Removes `folder` and the cgroups below it, deepest first, off this thread (see `createCgroup`). */
async function removeFolders(folder: string): Promise<boolean> {
  for (const each of [...descendants(folder), folder]) {
    try {
      await rmdir(each);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') continue;
      if (errnoOf(error) === 'EBUSY') return false;
      throw error;
    }
  }
  return true;
}

/** `removeFolders` without yielding. */
function removeFoldersNow(folder: string): boolean {
  for (const each of [...descendants(folder), folder]) {
    try {
      rmdirSync(each);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') continue;
      if (errnoOf(error) === 'EBUSY') return false;
      throw error;
    }
  }
  return true;
}

/**
 * Kills every process of the cgroup `folder` and below, waits until they are gone, then
 * removes the folders.
 *
 * @param waitMs - how long to wait for the killed processes to exit, in ms. Default 2000.
 * @returns false if a process outlived the wait (one stuck in the kernel): the folder is left.
 */
export async function removeCgroup(folder: string, waitMs = 2000): Promise<boolean> {
  if (!existsSync(folder)) return true;
  killCgroup(folder);
  const deadline = Date.now() + waitMs;
  while (isPopulated(folder)) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return removeFolders(folder);
}

/**
 * `removeCgroup` without yielding: for a process that is about to end and cannot wait for a
 * promise (a second Ctrl-C). Blocks for up to `waitMs` (default 500 ms).
 */
export function removeCgroupNow(folder: string, waitMs = 500): boolean {
  if (!existsSync(folder)) return true;
  killCgroup(folder);
  const deadline = Date.now() + waitMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (isPopulated(folder)) {
    if (Date.now() > deadline) return false;
    Atomics.wait(pause, 0, 0, 5);
  }
  return removeFoldersNow(folder);
}
