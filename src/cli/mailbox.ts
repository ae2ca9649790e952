/**
 * The mailbox verbs of DESIGN.md §4, shared by the `mailbox` command and `workflow mailbox`.
 */
import { isUtf8 } from 'node:buffer';
import { UsageError } from '../errors.js';
import { claimAll, type ClaimedMessage } from '../mailbox/reader.js';
import { removeMailboxes } from '../mailbox/folders.js';
import { mailboxPaths } from '../mailbox/paths.js';
import { countPending } from '../mailbox/pending.js';
import { listAgents, register, unregister } from '../mailbox/registry.js';
import { send } from '../mailbox/send.js';
import { EXIT } from './exit-codes.js';
import { defineVerb, type CommonOptions, type VerbDefinition, type VerbIO } from './verb.js';

/** The JSON form of a received message: the body as text when it is UTF-8, else base64. */
function messageJson(message: ClaimedMessage): unknown {
  const text = isUtf8(message.body);
  return {
    seq: message.seq,
    id: message.id,
    sender: message.sender,
    time: message.time,
    runId: message.runId,
    body: text ? message.body.toString('utf8') : null,
    bodyBase64: text ? undefined : message.body.toString('base64'),
  };
}

function parsePid(text: string | undefined): number {
  if (text === undefined) return process.ppid;
  const pid = Number(text);
  if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(pid)) {
    throw new UsageError(`pid must be a positive whole number, got '${text}'`);
  }
  return pid;
}

function parseTimeoutSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(seconds)) {
    throw new UsageError(`timeout must be a number of seconds (0 waits forever), got '${text}'`);
  }
  return seconds === 0 ? undefined : Math.round(seconds * 1000);
}

function registerCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[string, string, string | undefined], CommonOptions>(
    {
      usage: 'register <planspace> <name> [pid]',
      summary: 'Record an agent as the owner of mailbox <name> (pid: default the calling shell or agent).',
      examples: ['$ mailbox register ./plan scan', 'registered:scan:4711'],
    },
    io,
    async (planspace, name, pidText) => {
      mailboxPaths(planspace, name);
      const pid = parsePid(pidText);
      await register(planspace, name, pid);
      return { text: `registered:${name}:${pid}`, json: { name, pid } };
    },
  );
}

function unregisterCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[string, string], CommonOptions>(
    {
      usage: 'unregister <planspace> <name>',
      summary: "Remove an agent's registration; its mailbox and messages stay.",
      examples: ['$ mailbox unregister ./plan scan', 'unregistered:scan'],
    },
    io,
    async (planspace, name) => {
      await unregister(planspace, name);
      return { text: `unregistered:${name}`, json: { name } };
    },
  );
}

/** Options of `send`. */
interface SendCliOptions extends CommonOptions {
  readonly from?: string;
}

function sendCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[string, string, string[]], SendCliOptions>(
    {
      usage: 'send <planspace> <target> [words...]',
      summary:
        'Deliver a message to mailbox <target>: the words joined by spaces plus a newline, or standard input byte for byte.',
      examples: [
        '$ mailbox send ./plan orchestrator "done:3:scan finished"',
        'sent:orchestrator:12',
        '$ git diff | mailbox send ./plan reviewer --from coder',
      ],
      options: [['--from <name>', 'the sender recorded in the envelope (default: $WORKFLOW_AGENT)']],
    },
    io,
    async (planspace, target, words, options) => {
      mailboxPaths(planspace, target);
      const from = options.from ?? (io.env.WORKFLOW_AGENT || undefined);
      const runId = io.env.WORKFLOW_RUN_ID || undefined;
      const body = words.length > 0 ? Buffer.from(`${words.join(' ')}\n`) : await io.readStdin();
      const { seq, id } = await send(planspace, target, body, { from, runId });
      return { text: `sent:${target}:${seq}`, json: { target, seq, id } };
    },
  );
}

function recvCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[string, string, string | undefined], CommonOptions>(
    {
      usage: 'recv <planspace> <name> [timeout-seconds]',
      summary:
        'Wait for the next message of mailbox <name> and print its body exactly. 0 or no timeout waits forever; on timeout print TIMEOUT.',
      examples: [
        '$ mailbox recv ./plan orchestrator 600',
        'done:3:scan finished',
        '$ mailbox recv ./plan orchestrator 1',
        'TIMEOUT',
      ],
      exitCodes: ['1  TIMEOUT: no message within the timeout'],
    },
    io,
    async (planspace, name, timeoutText) => {
      mailboxPaths(planspace, name);
      const timeoutMs = parseTimeoutSeconds(timeoutText);
      const { receive, ReceiveTimeoutError } = await import('../mailbox/receive.js');
      let message: ClaimedMessage;
      try {
        message = await receive(planspace, name, { timeoutMs, signal: io.signal, ack: false });
      } catch (error) {
        if (!(error instanceof ReceiveTimeoutError)) throw error;
        return { text: 'TIMEOUT', json: { timeout: true }, exitCode: EXIT.condition };
      }
      // Acknowledged only once the body is written: a receiver killed before that leaves the
      // claim to be delivered again.
      return { text: '', bytes: message.body, json: messageJson(message), afterWrite: () => message.ack() };
    },
  );
}

function checkCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[string, string], CommonOptions>(
    {
      usage: 'check <planspace> <name>',
      summary: 'Print the number of messages waiting in mailbox <name>.',
      examples: ['$ mailbox check ./plan orchestrator', '2'],
    },
    io,
    async (planspace, name) => {
      const pending = await countPending(planspace, name);
      return { text: String(pending), json: { name, pending } };
    },
  );
}

function drainCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[string, string], CommonOptions>(
    {
      usage: 'drain <planspace> <name>',
      summary: 'Print every waiting message of mailbox <name>, each followed by a line ---, without waiting.',
      examples: ['$ mailbox drain ./plan orchestrator', 'progress:3:half way', '---', 'done:3:scan finished', '---'],
    },
    io,
    (planspace, name) => {
      const claimed = claimAll(mailboxPaths(planspace, name));
      const parts = claimed.flatMap(({ body }) => [
        body,
        Buffer.from(body.length === 0 || body.at(-1) === 0x0a ? '---\n' : '\n---\n'),
      ]);
      return {
        text: '',
        bytes: Buffer.concat(parts),
        json: claimed.map(messageJson),
        afterWrite: async () => {
          await Promise.all(claimed.map((message) => message.ack()));
        },
      };
    },
  );
}

function agentsCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'agents <planspace>',
      summary: 'List registered agents: name | pid=P | status=alive|dead | pending=K | since=ISO.',
      examples: [
        '$ mailbox agents ./plan',
        'scan | pid=4711 | status=alive | pending=0 | since=2026-11-22T02:30:00.000Z',
      ],
    },
    io,
    async (planspace) => {
      const agents = await listAgents(planspace);
      const lines = agents.map(
        (a) => `${a.name} | pid=${a.pid} | status=${a.status} | pending=${a.pending} | since=${a.since}`,
      );
      return { text: lines.join('\n'), bytes: Buffer.from(lines.map((line) => `${line}\n`).join('')), json: agents };
    },
  );
}

function cleanupCommand(io: VerbIO): VerbDefinition {
  return defineVerb<[string, string | undefined], CommonOptions>(
    {
      usage: 'cleanup <planspace> [name]',
      summary: 'Remove mailbox <name> with its messages and registration, or every mailbox.',
      examples: ['$ mailbox cleanup ./plan scan', 'cleaned:scan', '$ mailbox cleanup ./plan', 'cleaned:all'],
    },
    io,
    async (planspace, name) => {
      await removeMailboxes(planspace, name);
      return { text: `cleaned:${name ?? 'all'}`, json: { cleaned: name ?? 'all' } };
    },
  );
}

/** The mailbox verbs. */
export function mailboxCommands(io: VerbIO): VerbDefinition[] {
  return [
    registerCommand(io),
    unregisterCommand(io),
    sendCommand(io),
    recvCommand(io),
    checkCommand(io),
    drainCommand(io),
    agentsCommand(io),
    cleanupCommand(io),
  ];
}
