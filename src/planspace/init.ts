/**
 * `workflow init`: a new planspace from a schedule template.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, UsageError } from '../errors.js';
import { packagePath } from '../package-root.js';
import { parseSchedule } from '../schedule/parse.js';
import { planspacePaths } from './paths.js';

/** The package's schedule templates, `templates/schedules/<name>.md`. */
export const SCHEDULE_TEMPLATES = packagePath('templates', 'schedules');

/**
 * Creates a planspace: `schedule.md` from the template with `{{key}}` placeholders filled,
 * `state.md`, `log.md` and `artifacts/`.
 *
 * @param template - a template name (`feature`) or a path to a markdown file.
 * @param values - placeholder values; every placeholder must have one.
 * @throws {UsageError} if the planspace already has a schedule, the template is missing, a
 *   placeholder has no value; nothing is written then.
 * @throws {ScheduleSyntaxError} if the filled template is not a valid schedule.
 */
export async function initPlanspace(
  planspace: string,
  template: string,
  values: Readonly<Record<string, string>>,
): Promise<{ schedule: string; steps: number }> {
  const paths = planspacePaths(planspace);
  const exists = await access(paths.schedule).then(
    () => true,
    () => false,
  );
  if (exists) throw new UsageError(`${paths.schedule} already exists; init makes new planspaces only`);
  const file = /[\\/]|\.md$/.test(template) ? template : join(SCHEDULE_TEMPLATES, `${template}.md`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
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
  await mkdir(paths.artifacts, { recursive: true });
  await writeFile(paths.schedule, filled, { flag: 'wx' });
  await writeIfMissing(paths.state, '# State\n\n## Position\n\nNot started.\n');
  await writeIfMissing(paths.log, '# Log\n\n');
  return { schedule: paths.schedule, steps: schedule.steps.length };
}

/** Creates a file with `text` unless it exists already (an existing one is kept as it is). */
async function writeIfMissing(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text, { flag: 'wx' });
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
  }
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
