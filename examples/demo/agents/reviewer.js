#!/usr/bin/env node
// The demo's reviewer: asks a human to approve the greeting and waits for the answer.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { codespace, done, mailbox, noteFact, planspace, readPrompt, step } from './common.js';

await readPrompt();
const output = execFileSync(process.execPath, [join(codespace, 'hello.js')], { encoding: 'utf8' }).trim();
mailbox('send', planspace, 'orchestrator', `ask:${step}:Approve the greeting "${output}"?`);
const answer = mailbox('recv', planspace, process.env.WORKFLOW_AGENT, '120').trim();
noteFact(`review: the greeting "${output}" got the answer "${answer.replace(/^answer:/, '')}"`);
console.log(`human said: ${answer}`);
done(`approved: ${answer.replace(/^answer:/, '')}`);
