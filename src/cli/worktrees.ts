import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** `workflow worktrees <planspace> [--prune]`: the worktrees of isolated units. */
export function worktreesCommand(io: VerbIO) {
  return defineVerb<[string], CommonOptions & { prune?: boolean }>(
    {
      usage: 'worktrees <planspace>',
      summary:
        'List the git worktrees of isolated units (isolation: worktree) that runs kept after a failure or a merge ' +
        'conflict, or use now: step, branch, state, path and why. --prune removes them with their branches.',
      examples: [
        '$ workflow worktrees ./plan',
        'step 3 block b  planspace/rmx1/step-3-b  conflict  /p/code/.git/planspace-worktrees/rmx1-step-3-b  merge conflict in src/a.ts',
        '$ workflow worktrees ./plan --prune',
        'pruned 1 worktree',
      ],
      options: [['--prune', 'remove every listed worktree and its branch (refused while an engine runs)']],
      exitCodes: ['1  --prune while an engine runs the planspace; nothing removed'],
    },
    io,
    async (planspace, options) => {
      const { formatWorktrees, listUnitWorktrees, pruneUnitWorktrees } = await import('../engine/worktrees.js');
      if (options.prune === true) {
        const pruned = await pruneUnitWorktrees(planspace);
        const text = `pruned ${pruned.length} worktree${pruned.length === 1 ? '' : 's'}`;
        return { text, json: { pruned } };
      }
      const listed = await listUnitWorktrees(planspace);
      return { text: formatWorktrees(listed), json: { worktrees: listed } };
    },
  );
}
