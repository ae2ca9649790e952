/**
 * The schedule verbs that shells and agents call most (`next`, `status`, `done`, `add`, ...), by
 * name: each runs without commander when `parseVerbArgs` understands the call. Shared by the
 * whole CLI (`main.ts`) and its start-up bundle (`hot.ts`).
 */
import { addCommand } from './add.js';
import type { VerbLoader } from './cli-core.js';
import { markCommand, retryCommand } from './mark.js';
import { nextCommand } from './next.js';
import { parseCommand } from './parse.js';
import { statusCommand } from './status.js';

/** The schedule verbs run without commander, by name. */
export const SCHEDULE_VERBS: Readonly<Record<string, VerbLoader>> = {
  next: (io) => Promise.resolve(nextCommand(io)),
  status: (io) => Promise.resolve(statusCommand(io)),
  parse: (io) => Promise.resolve(parseCommand(io)),
  done: (io) => Promise.resolve(markCommand(io, 'done')),
  fail: (io) => Promise.resolve(markCommand(io, 'fail')),
  skip: (io) => Promise.resolve(markCommand(io, 'skip')),
  retry: (io) => Promise.resolve(retryCommand(io)),
  add: (io) => Promise.resolve(addCommand(io)),
};
