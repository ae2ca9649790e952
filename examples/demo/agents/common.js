// Shared by the demo's script agents: the planspace and codespace from the environment the
// engine sets, the prompt from standard input, and reporting through the `mailbox` command the
// engine puts on PATH.
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

export const planspace = process.env.WORKFLOW_PLANSPACE;
export const codespace = process.env.WORKFLOW_CODESPACE;
export const step = process.env.WORKFLOW_STEP;

/** Reads the prompt the engine wrote to standard input. */
export async function readPrompt() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

/** Runs `mailbox <args...>` and returns what it printed. */
export function mailbox(...args) {
  return execFileSync('mailbox', args, { encoding: 'utf8' });
}

/** Tells the engine the step is done. */
export function done(summary) {
  mailbox('send', planspace, 'orchestrator', `done:${step}:${summary}`);
}

/** Appends a fact to state.md. */
export function noteFact(line) {
  appendFileSync(join(planspace, 'state.md'), `\n- ${line}\n`);
}
