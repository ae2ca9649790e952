/**
 * Small tmpfs mounts for disk-fault tests: only a mount makes
 * a write fail for root, whom permission bits do not stop. Linux, as root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Why this process cannot mount a tmpfs, or undefined if it can. */
export async function mountProblem(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = await mkdtemp(join(tmpdir(), 'planspace-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Mount points made by the importing test file, unmounted and removed after its tests. */
const mounts: string[] = [];
afterAll(async () => {
  for (const dir of mounts.splice(0)) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      // Busy (a process of a failed test still inside): detach it now, freed once unused.
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    }
    await rm(dir, { recursive: true, force: true });
  }
});

/** Mounts a new tmpfs of `sizeKiB` KiB and returns its folder. */
export async function mountTmpfs(sizeKiB: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'planspace-mount-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { stdio: 'pipe' });
  mounts.push(dir);
  return dir;
}
