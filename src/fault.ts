/**
 * Fault injection for crash tests. When the environment variable `PLANSPACE_FAULT` names a
 * fault point, the process kills itself with SIGKILL on reaching it, exactly as if it had been
 * killed there from outside. Points: `mailbox-after-claim` (a receiver has claimed a message
 * and not yet handled it), `mailbox-checkpoint-before-rename` (a reader has written a new
 * checkpoint to its temporary file), `mailbox-checkpoint-after-rename` (and renamed it),
 * `mailbox-rotate-after-seal` (a writer has sealed a full log segment) and
 * `mailbox-rotate-after-create` (and created the next one, which the log does not link yet);
 * `isolation-after-worktree-add` (a unit's worktree and branch are made, its record still says
 * `creating`), `isolation-after-commit` (the agent's work is committed in its worktree, not yet
 * recorded), `isolation-before-merge` (the merge commit is made, the codespace not yet moved to
 * it) and `isolation-after-merge` (the codespace is moved, the unit not yet recorded done);
 * `candidates-after-pick` (a round's pick is recorded, its merge not begun).
 */
export function faultPoint(name: string): void {
  if (process.env.PLANSPACE_FAULT === name) process.kill(process.pid, 'SIGKILL');
}
