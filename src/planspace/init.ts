/**
 * `workflow init`: a new planspace from a schedule template.
 */
import { access, mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, UsageError } from '../errors.js';
import { assertOwnFolder, FILE_MODE, FOLDER_MODE } from '../fs/guard.js';
import { namePath } from '../fs/io-error.js';
import { packagePath } from '../package-root.js';
import { parseSchedule } from '../schedule/parse.js';
import { planspacePaths } from './paths.js';
import { readRegularFile } from '../fs/regular-file.js';

/** The package's schedule templates, `templates/schedules/<name>.md`. */
export const SCHEDULE_TEMPLATES = packagePath('templates', 'schedules');

/**
 * Creates a planspace: `schedule.md` from the template with `{{key}}` placeholders filled,
 * `state.md`, `log.md` and `artifacts/`: folders it makes are 0700 and files 0600, whatever
 * the umask.
 *
 * @param template - a template name (`feature`) or a path to a markdown file.
 * @param values - placeholder values; every placeholder must have one.
 * @throws {UsageError} if the planspace already has a schedule, the template is missing, a
 *   placeholder has no value; nothing is written then.
 * @throws {ScheduleSyntaxError} if the filled template is not a valid schedule.
 * @throws {UnsafePathError} if the planspace folder exists and another user owns it or others
 *   may write to it, or `artifacts/` is a link; nothing is written then.
 */
export async function initPlanspace(
  planspace: string,
  template: string,
  values: Readonly<Record<string, string>>,
): Promise<{ schedule: string; steps: number }> {
  const paths = planspacePaths(planspace);
  assertOwnFolder(paths.root, 'planspace', { link: true });
  assertOwnFolder(paths.artifacts, 'artifacts folder');
  const exists = await access(paths.schedule).then(
    () => true,
    () => false,
  );
  if (exists) throw new UsageError(`${paths.schedule} already exists; init makes new planspaces only`);
  const file = /[\\/]|\.md$/.test(template) ? template : join(SCHEDULE_TEMPLATES, `${template}.md`);
  let text: string;
  try {
    text = (await readRegularFile(file)).toString('utf8');
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    throw new UsageError(`no schedule template '${template}' (give a name from templates/schedules/ or a path)`);
  }
  const missing = new Set<string>();
  const filled = text.replace(/\{\{([\w-]+)\}\}/g, (whole, key: string) => values[key] ?? (missing.add(key), whole));
  if (missing.size > 0) {
    throw new UsageError(
      `template placeholders without a value: ${[...missing].map((k) => `--set ${k}=...`).join(' ')}`,
    );
  }
  const schedule = parseSchedule(filled, paths.schedule);
  // What this call made, to take back if a write fails (a full disk fails it after the file
  // is made): a half-written schedule would make every later `init` refuse the planspace.
  const made: string[] = [];
  try {
    await makeFolder(paths.root, made);
    await makeFolder(paths.artifacts, made);
    if (!(await createFile(paths.schedule, filled, made))) {
      throw new UsageError(`${paths.schedule} already exists; init makes new planspaces only`);
    }
    await createFile(paths.state, '# State\n\n## Position\n\nNot started.\n', made);
    await createFile(paths.log, '# Log\n\n', made);
  } catch (error) {
    for (const path of made.reverse()) await rm(path, { recursive: true, force: true });
    throw error;
  }
  return { schedule: paths.schedule, steps: schedule.steps.length };
}

/**
 * Creates a folder, and its missing parents, unless it exists; records it in `made` if it was
 * made. Its own `mkdir` first: a recursive one reports ENOENT for a read-only file system
 * (nodejs/node#47098).
 */
async function makeFolder(path: string, made: string[]): Promise<void> {
  try {
    await mkdir(path, { mode: FOLDER_MODE });
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return;
    if (!isErrno(error, 'ENOENT')) throw error;
    const first = await mkdir(path, { recursive: true, mode: FOLDER_MODE });
    if (first !== undefined) made.push(first);
    return;
  }
  made.push(path);
}

/**
 * Creates a file holding `text` unless it exists already (an existing one is kept as it is).
 *
 * @returns false if it existed; records it in `made` as soon as it is created.
 * @throws the `fs` error, naming the file.
 */
async function createFile(path: string, text: string, made: string[]): Promise<boolean> {
  let file: FileHandle;
  try {
    file = await open(path, 'wx', FILE_MODE);
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    throw error;
  }
  made.push(path);
  try {
    await file.writeFile(text);
  } catch (error) {
    throw namePath(error, path);
  } finally {
    await file.close();
  }
  return true;
}

/** Parses `key=value` pairs from `--set`. */
export function parseSettings(pairs: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--set takes key=value, got '${pair}'`);
    values[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return values;
}
