/**
 * The check that a path the user gave is a planspace, before a verb reads or creates anything
 * in it: without it, `mailbox send ./nope` made folders under a typo, `mailbox check ./nope x`
 * printed 0 and `workflow questions ./nope` printed nothing, all with exit 0.
 */
import { statSync } from 'node:fs';
import { isErrno, ScheduleNotFoundError } from '../errors.js';
import { planspacePaths } from './paths.js';

/**
 * Checks that `planspace` is a folder holding `schedule.md` (one synchronous `stat`).
 *
 * @throws {ScheduleNotFoundError} `<path> is not a planspace (no schedule.md)`, or, for the
 *   schedule file given instead of its folder, `<path> is a file; give its folder: <dir>`.
 * @throws {UsageError} for an empty `planspace` (see `planspacePaths`).
 * @throws the fs error, unchanged, for anything but `ENOENT` and `ENOTDIR` (`EACCES`, ...).
 */
export function assertPlanspace(planspace: string): void {
  const { schedule } = planspacePaths(planspace);
  try {
    statSync(schedule);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR'))
      throw new ScheduleNotFoundError(schedule, { cause: error });
    throw error;
  }
}
