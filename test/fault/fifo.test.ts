/**
 * Named pipes (FIFOs) where planspace files belong (issue 10, point 6): opening one blocks
 * until a writer or reader comes, so `workflow status` on a planspace whose `schedule.md` was a
 * FIFO hung for ever. Every verb now refuses it at once: exit 2, one line naming the file and
 * what it is, and the planspace left as it was. Each command runs under the sandbox's hang
 * guard (45 s, then SIGTERM and code -1), which a hang fails.
 */
import { execFileSync } from 'node:child_process';
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSandbox, snapshot, type Sandbox } from './sandbox.js';

const SCHEDULE = '# Schedule: fifo\n\n[wait] 1. plan | m -- write the plan (guide.md Stage 1)\n';

/** Makes a named pipe at `path`. */
function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** Every entry of the planspace, by name, with its type: `file`, `fifo` or `dir`. */
async function entries(box: Sandbox): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const entry of await readdir(box.planspace, { withFileTypes: true })) {
    found[entry.name] = entry.isFIFO() ? 'fifo' : entry.isDirectory() ? 'dir' : 'file';
  }
  return found;
}

/** The one-line reason for a FIFO at `path`. */
function refusal(path: string): string {
  return `${path} is a FIFO (named pipe), not a regular file; remove or replace it\n`;
}

describe('a FIFO at schedule.md', () => {
  it('every schedule verb and run refuse it at once with exit 2, naming the file; nothing is created', async () => {
    const box = await makeSandbox('');
    const schedule = join(box.planspace, 'schedule.md');
    await import('node:fs/promises').then(({ rm }) => rm(schedule));
    mkfifo(schedule);
    const verbs: string[][] = [
      ['status', box.planspace],
      ['next', box.planspace],
      ['done', box.planspace, '1'],
      ['fail', box.planspace, '1'],
      ['skip', box.planspace, '1'],
      ['retry', box.planspace, '1'],
      ['check', box.planspace, ...box.sources],
      ['run', box.planspace, ...box.sources],
    ];
    for (const args of verbs) {
      const result = await box.workflow(args);
      expect({ verb: args[0], code: result.code, stderr: result.stderr }).toEqual({
        verb: args[0],
        code: 2,
        stderr: refusal(schedule),
      });
      expect(result.stdout).toBe('');
    }
    expect(await entries(box)).toEqual({ 'schedule.md': 'fifo' });
  });
});

describe('a FIFO at state.md, log.md, events.jsonl or engine.json', () => {
  it.each(['state.md', 'log.md', 'events.jsonl', 'engine.json'])(
    'workflow run refuses %s with exit 2 before any agent starts; the schedule is unchanged',
    async (name) => {
      const box = await makeSandbox(SCHEDULE);
      const path = join(box.planspace, name);
      mkfifo(path);
      const result = await box.workflow(['run', box.planspace, ...box.sources]);
      expect(result.stderr).toBe(refusal(path));
      expect(result.code).toBe(2);
      expect(await readFile(join(box.planspace, 'schedule.md'), 'utf8')).toBe(SCHEDULE);
      expect((await lstat(path)).isFIFO()).toBe(true);
      expect(await entries(box)).toEqual({ 'schedule.md': 'file', [name]: 'fifo' });
      // The schedule verbs do not need the file and still work.
      const status = await box.workflow(['status', box.planspace]);
      expect(status.code).toBe(0);
    },
  );
});

describe('a FIFO where run and check read a model, skill or agent file', () => {
  // An agent can plant one in `<codespace>/.agents/models/`; both commands hung in `open` on
  // it, waiting for a writer that never comes.
  it.each(['models/m.toml', 'skills/guide.md', 'agents/exception-handler.md'])(
    '%s: check and run exit 2 at once naming it; the planspace is unchanged',
    async (name) => {
      const box = await makeSandbox(SCHEDULE);
      const path = join(box.root, name);
      await rm(path);
      mkfifo(path);
      const before = await snapshot(box.planspace);
      for (const verb of ['check', 'run']) {
        const result = await box.workflow([verb, box.planspace, ...box.sources]);
        expect({ verb, code: result.code }).toEqual({ verb, code: 2 });
        // check lists its problems on stdout, run its reason on stderr.
        expect(result.stdout + result.stderr).toContain(`${path} is a FIFO (named pipe), not a regular file`);
        expect(await snapshot(box.planspace)).toEqual(before);
      }
    },
    30_000,
  );

  it('init refuses one given as --template with exit 2', async () => {
    const box = await makeSandbox(SCHEDULE);
    const template = join(box.root, 'template.md');
    mkfifo(template);
    const plan = join(box.root, 'made');
    const result = await box.workflow(['init', plan, '--template', template]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: refusal(template) });
  }, 30_000);
});
