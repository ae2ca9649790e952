/**
 * Versions of the schedule file, as the engine's cache (`cache.ts`) and `workflow add` name
 * them: `<dev>.<ino>.<size>.<mtimeNs>` of one `stat`. Every writer that follows DESIGN.md
 * replaces the file by a rename, which gives it a new inode; an editor writing in place
 * changes the mtime (ns) or the size. Two equal versions are taken for the same bytes.
 */
import type { BigIntStats } from 'node:fs';

/** The version a `stat` (with `bigint: true`) describes. */
export function fileVersion(stats: BigIntStats): string {
  return `${stats.dev}.${stats.ino}.${stats.size}.${stats.mtimeNs}`;
}
