/**
 * Every `--help` fits an 80-column terminal: the programs' verb lists, and each verb's own
 * help with its examples and exit codes.
 */
import { describe, expect, it } from 'vitest';
import { runMailbox, runWorkflow } from '../helpers.js';

const WORKFLOW = ['next', 'parse', 'done', 'fail', 'skip', 'retry', 'status', 'check', 'run', 'answer'].concat([
  'questions',
  'report',
  'abort',
  'checkpoints',
  'rollback',
  'init',
  'completion',
  'mailbox',
]);
const MAILBOX = ['register', 'unregister', 'send', 'recv', 'check', 'drain', 'agents', 'cleanup'];

const CALLS: { readonly title: string; readonly run: () => Promise<{ stdout: string; code: number }> }[] = [
  { title: 'workflow --help', run: () => runWorkflow(['--help']) },
  { title: 'mailbox --help', run: () => runMailbox(['--help']) },
  ...WORKFLOW.map((verb) => ({ title: `workflow ${verb} --help`, run: () => runWorkflow([verb, '--help']) })),
  ...MAILBOX.map((verb) => ({ title: `mailbox ${verb} --help`, run: () => runMailbox([verb, '--help']) })),
];

describe('--help fits 80 columns', () => {
  it.each(CALLS)('$title', async ({ run }) => {
    const { stdout, code } = await run();
    expect(code).toBe(0);
    expect(stdout).toContain('Usage:');
    expect(stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
  });
});
