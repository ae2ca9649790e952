/**
 * Versions of the schedule file, as the engine's cache (`cache.ts`) and `workflow add` name
 * them: `<dev>.<ino>.<size>.<mtimeNs>` of one `stat`. Every writer that follows DESIGN.md
 * replaces the file by a rename, which gives it a new inode; an editor writing in place
 * changes the mtime (ns) or the size. Two equal versions are taken for the same bytes.
 */
import type { BigIntStats } from 'node:fs';

/** The version a `stat` (with `bigint: true`) describes; its size in bytes is the third part. */
export function fileVersion(stats: BigIntStats): string {
  return `${stats.dev}.${stats.ino}.${stats.size}.${stats.mtimeNs}`;
}

/** The size in bytes that a `fileVersion` names; undefined for text that is no version. */
export function versionSize(version: string): number | undefined {
  const match = /^\d+\.\d+\.(\d+)\.\d+$/.exec(version);
  return match ? Number(match[1]) : undefined;
}
