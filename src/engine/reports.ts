/**
 * What the engine reads in its mailbox (DESIGN.md §4 conventions), parsed from message bodies.
 * Pure.
 */

/** A message to the engine, by its prefix. */
export type Report =
  | { readonly kind: 'done' | 'fail' | 'ask' | 'progress'; readonly tag: string; readonly text: string }
  | { readonly kind: 'answered'; readonly id: string }
  | { readonly kind: 'added' | 'add-refused'; readonly tag: string; readonly text: string }
  | { readonly kind: 'other'; readonly text: string };

/**
 * Parses a message body: `done:<tag>:<summary>`, `fail:<tag>:<reason>`, `ask:<tag>:<question>`,
 * `progress:<tag>:<detail>`, `answered:<question id>` (sent by `workflow answer`), or
 * `added:<step>:<N>` (or `added:<step>:<N> <before> <after>`, the schedule's versions around
 * an append) / `add-refused:<step>:<reason>` (sent by `workflow add` run by an agent of step
 * `<step>`). A trailing newline is dropped; anything else is `other`.
 */
export function parseReport(body: Buffer | string): Report {
  const text = (typeof body === 'string' ? body : body.toString('utf8')).replace(/\r?\n$/, '');
  const answered = /^answered:(q\d+)$/.exec(text);
  if (answered) return { kind: 'answered', id: answered[1] ?? '' };
  const match = /^(done|fail|ask|progress|added|add-refused):([^:\n]*):([\s\S]*)$/.exec(text);
  if (!match) return { kind: 'other', text };
  const kind = match[1] as 'done' | 'fail' | 'ask' | 'progress' | 'added' | 'add-refused';
  return { kind, tag: match[2] ?? '', text: match[3] ?? '' };
}

/**
 * The verdict of an exception handler: its output's last non-empty line. `FIXED: ...` means
 * retry the step; `ESCALATE: ...`, anything else, or no output means ask a human.
 */
export function parseVerdict(output: string): { readonly fixed: boolean; readonly line: string } {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() !== '');
  const line = (lines.at(-1) ?? '').trim();
  return { fixed: line.startsWith('FIXED:'), line };
}
