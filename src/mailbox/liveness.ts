import { readFileSync } from 'node:fs';

/**
 * True when a process with this pid is running (it may belong to another user). Signal 0
 * checks existence without signalling; on Linux a zombie (exited, not yet reaped by its
 * parent, which for orphans may take a while) counts as dead.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return process.platform !== 'linux' || !isZombie(pid);
}

/** Reads the state field of /proc/<pid>/stat: `Z` is a zombie. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    // The process went away between the two checks: its /proc entry is gone (ENOENT), or
    // it was reaped while the read was under way (ESRCH).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return true;
    throw error;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}
