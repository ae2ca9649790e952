import { scheduleStatus } from '../schedule/operations.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** `workflow status <planspace>`: count steps by status. */
export function statusCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'status <planspace>',
      planspace: 'read',
      summary: 'Print the number of steps in each status.',
      examples: ['$ workflow status ./plan', 'Total: 7 | Done: 2 | Running: 1 | Failed: 0 | Waiting: 4 | Skipped: 0'],
    },
    io,
    async (planspace) => {
      const c = await scheduleStatus(planspace);
      return {
        text: `Total: ${c.total} | Done: ${c.done} | Running: ${c.running} | Failed: ${c.failed} | Waiting: ${c.waiting} | Skipped: ${c.skipped}`,
        json: c,
      };
    },
  );
}
