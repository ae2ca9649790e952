/**
 * What `workflow run` writes through, checked before it writes anything: a run that would
 * follow a link out of the planspace, or write into a folder others may write to, is refused
 * with a clear error and exit 2 rather than found out half-way (see `src/fs/guard.ts`).
 */
import { join } from 'node:path';
import { assertNotLink, assertOwnFolder } from '../fs/guard.js';
import { assertMailboxFolders } from '../mailbox/folders.js';
import { mailboxPaths } from '../mailbox/paths.js';
import { holdPath } from '../planspace/hold.js';
import type { PlanspacePaths } from '../planspace/paths.js';
import { ENGINE_MAILBOX } from '../prompt/render.js';
import type { Step } from '../schedule/step.js';
import { unitStem } from './context.js';
import { questionsDir } from './questions.js';

/**
 * Checks the planspace (this user's, writable by nobody else), its `artifacts/`, `questions/`
 * and the engine's mailbox folders (no links), and the files a run appends to or rewrites in
 * place: `log.md`, `events.jsonl`, `state.md`, `engine.json` and the output file of every unit and of every
 * exception handler of `steps` (no links). One `stat` per path.
 *
 * @throws {UnsafePathError} naming the first unsafe folder or file and what is wrong with it.
 */
export function assertRunPaths(paths: PlanspacePaths, steps: readonly Step[]): void {
  assertOwnFolder(paths.root, 'planspace', { link: true });
  assertMailboxFolders(mailboxPaths(paths.root, ENGINE_MAILBOX));
  assertOwnFolder(paths.artifacts, 'artifacts folder');
  assertOwnFolder(questionsDir(paths), 'questions folder');
  for (const file of [paths.log, paths.events, paths.state, holdPath(paths)]) assertNotLink(file);
  for (const step of steps) {
    for (const block of step.attributes.blocks ?? [undefined]) {
      const stem = unitStem(block === undefined ? { step } : { step, block });
      assertNotLink(join(paths.artifacts, `${stem}-output.md`));
    }
    assertNotLink(join(paths.artifacts, `exception-${step.number}-output.md`));
  }
}
