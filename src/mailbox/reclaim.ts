/**
 * Deleting a mailbox's data files (see `send.ts`) once every message stored in them is
 * acknowledged and their writer is dead (a file of one message: once it is acknowledged).
 */
import { dataFileSize, deleteDataFile, holdsOneMessage } from './data.js';
import { pidOfKey } from './identity.js';
import { isProcessAlive } from './liveness.js';
import type { ReaderState } from './reader-state.js';

/**
 * Deletes the data files of `state.reclaimable` whose messages are all acknowledged and whose
 * writer is dead, and forgets them. A dead writer's file no longer changes: when the messages
 * the reader has read account for all its bytes, no journal record of it is left unread.
 * Otherwise (bytes of a send killed before its record, or a format 1 checkpoint) the journal
 * must be read to its end once more after the writer is found dead, lest a record it appended
 * just before dying be missed: `rereadJournal` does that if it is cheap (the reader is near the
 * end) and says whether it did; if not, such a file is left to a later call.
 *
 * @param dataFolder - the mailbox's `data/` folder.
 * @param state - the reader's state; `rereadJournal` may replace it (a new journal).
 * @param isWriterAlive - whether the process that wrote a data file is alive (default: asks
 *   the system each time, see `isProcessAlive`; a reader may remember live writers a while).
 * @throws the `fs` error for anything but files deleted meanwhile.
 */
export function reclaimDataFiles(
  dataFolder: string,
  state: () => ReaderState,
  rereadJournal: () => boolean,
  isWriterAlive: (file: string) => boolean = (file) => isProcessAlive(pidOfKey(file)),
): void {
  const { reclaimable, files } = state();
  if (reclaimable.size === 0) return;
  const candidates = [...reclaimable];
  reclaimable.clear();
  const dead = candidates.filter((file) => holdsOneMessage(file) || !isWriterAlive(file));
  if (dead.length === 0) return;
  const unsure = dead.filter((file) => {
    const bytes = files.get(file)?.bytes ?? -1;
    const size = dataFileSize(dataFolder, file);
    return bytes < 0 || (size !== undefined && size !== bytes);
  });
  const reread = unsure.length > 0 && rereadJournal();
  for (const file of dead) {
    const use = state().files.get(file);
    if (use === undefined || use.acked !== use.frames || (!reread && unsure.includes(file))) continue;
    deleteDataFile(dataFolder, file);
    state().files.delete(file);
  }
}
