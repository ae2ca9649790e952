/**
 * Fault injection for crash tests. When the environment variable `PLANSPACE_FAULT` names a
 * fault point, the process kills itself with SIGKILL on reaching it, exactly as if it had been
 * killed there from outside. Points: `mailbox-after-claim` (a receiver has claimed a message
 * and not yet handled it), `mailbox-checkpoint-before-rename` (a reader has written a new
 * checkpoint to its temporary file), `mailbox-checkpoint-after-rename` (and renamed it),
 * `mailbox-rotate-after-seal` (a writer has sealed a full log segment) and
 * `mailbox-rotate-after-create` (and created the next one, which the log does not link yet).
 */
export function faultPoint(name: string): void {
  if (process.env.PLANSPACE_FAULT === name) process.kill(process.pid, 'SIGKILL');
}
