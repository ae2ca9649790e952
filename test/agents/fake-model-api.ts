/**
 * A scripted model API on 127.0.0.1 for the real agent CLIs, so that Claude Code, Codex and
 * opencode can be run end to end with no network. It serves the three wire protocols they speak:
 *
 * - the Anthropic Messages API, `POST /v1/messages` (Claude Code through `ANTHROPIC_BASE_URL`),
 *   streamed as server-sent events when the request says `stream: true`;
 * - the OpenAI Responses API, `POST /v1/responses` (Codex through a `model_providers` entry with
 *   `wire_api = "responses"`), always streamed;
 * - OpenAI Chat Completions, `POST /v1/chat/completions` (opencode through an
 *   `@ai-sdk/openai-compatible` provider), streamed when asked.
 *
 * The script is the same for all three and needs no state: a request whose conversation holds
 * no tool result yet, and that offers the CLI's shell tool, is answered with ONE call of that
 * tool running `script.command`; a request that holds a tool result is answered with the text
 * `script.final`; any other request (a title, a quota probe) gets a short text. With
 * `script.status` set, every request is refused with that HTTP status and an error body in the
 * protocol's shape (401 makes each CLI print its authentication error).
 *
 * Every request is recorded (method, path, parsed body) for the tests to inspect.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake API answers. */
export interface FakeModelScript {
  /** The one shell command the model asks the CLI to run (through `bash`). */
  readonly command: string;
  /** The model's last answer, once it has seen the command's result. */
  readonly final: string;
  /** When set, every request is refused with this HTTP status (401, 500...). */
  readonly status?: number;
  /**
   * Codex only: the call asks to run outside the sandbox (`sandbox_permissions:
   * "require_escalated"`), which `exec` refuses when it may not ask for approval.
   */
  readonly escalate?: boolean;
}

/** One request the fake API received. */
export interface RecordedRequest {
  readonly method: string;
  /** The URL path with its query, e.g. `/v1/messages?beta=true`. */
  readonly path: string;
  /** The parsed JSON body, or undefined for none or invalid JSON. */
  readonly body: unknown;
}

/** A running fake API; `close` stops it. */
export interface FakeModelApi {
  /** `http://127.0.0.1:<port>`, with no trailing slash and no `/v1`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** The tool calls it has sent: the tool's name and the command it asked for. */
  readonly toolCalls: { readonly tool: string; readonly command: string }[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/**
 * Starts the fake API on 127.0.0.1 on a free port.
 *
 * @returns the API once it listens; `close()` stops it and ends open connections.
 */
export async function startFakeModelApi(script: FakeModelScript): Promise<FakeModelApi> {
  const requests: RecordedRequest[] = [];
  const toolCalls: { tool: string; command: string }[] = [];
  const server = createServer((request, response) => {
    void readBody(request).then(
      (text) => {
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          body = undefined;
        }
        const path = request.url ?? '/';
        requests.push({ method: request.method ?? 'GET', path, body });
        route(path, (body ?? {}) as Json, script, response, toolCalls);
      },
      (error: unknown) => {
        // A request cut off half-way: the CLI sees a 500, the test its message.
        sendJson(response, 500, { error: { message: `fake model API: ${String(error)}` } });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    toolCalls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function route(
  path: string,
  body: Json,
  script: FakeModelScript,
  response: ServerResponse,
  toolCalls: { tool: string; command: string }[],
): void {
  const pathname = path.split('?')[0] ?? '';
  if (pathname.endsWith('/messages/count_tokens')) {
    sendJson(response, 200, { input_tokens: 100 });
  } else if (pathname.endsWith('/messages')) {
    if (script.status !== undefined) {
      sendJson(response, script.status, {
        type: 'error',
        error: { type: 'authentication_error', message: `fake model API: status ${script.status}` },
      });
    } else {
      anthropicMessages(body, script, response, toolCalls);
    }
  } else if (pathname.endsWith('/responses')) {
    if (script.status !== undefined) {
      sendJson(response, script.status, openAiError(script.status));
    } else {
      openAiResponses(body, script, response, toolCalls);
    }
  } else if (pathname.endsWith('/chat/completions')) {
    if (script.status !== undefined) {
      sendJson(response, script.status, openAiError(script.status));
    } else {
      chatCompletions(body, script, response, toolCalls);
    }
  } else if (pathname.endsWith('/models')) {
    sendJson(response, 200, { object: 'list', data: [{ id: 'fake-model', object: 'model', owned_by: 'fake' }] });
  } else {
    sendJson(response, 404, { error: { message: `fake model API: no route for ${path}` } });
  }
}

function openAiError(status: number): Json {
  return {
    error: {
      message: `fake model API: status ${status}`,
      type: status === 401 ? 'invalid_request_error' : 'server_error',
      code: status === 401 ? 'invalid_api_key' : 'server_error',
    },
  };
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Writes server-sent events; `event` names go on an `event:` line when given. */
function sendEvents(response: ServerResponse, events: readonly (readonly [string | undefined, unknown])[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [event, data] of events) {
    const name = event === undefined ? '' : `event: ${event}\n`;
    response.write(`${name}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  }
  response.end();
}

let nextId = 1;
function id(prefix: string): string {
  nextId += 1;
  return `${prefix}_fake${String(nextId).padStart(6, '0')}`;
}

function toolNames(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((tool: Json) => {
    const fn = tool.function as Json | undefined;
    const name = tool.name ?? fn?.name ?? tool.type;
    return typeof name === 'string' ? name : '';
  });
}

// ---- Anthropic Messages -------------------------------------------------------------------

function anthropicMessages(
  body: Json,
  script: FakeModelScript,
  response: ServerResponse,
  toolCalls: { tool: string; command: string }[],
): void {
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  const sawResult = messages.some(
    (message) =>
      Array.isArray(message.content) && (message.content as Json[]).some((part) => part.type === 'tool_result'),
  );
  const offersBash = toolNames(body.tools).includes('Bash');
  const model = typeof body.model === 'string' ? body.model : 'fake-model';
  let content: Json;
  let stop: string;
  if (!sawResult && offersBash) {
    const input = { command: script.command, description: 'Report to the engine' };
    toolCalls.push({ tool: 'Bash', command: script.command });
    content = { type: 'tool_use', id: id('toolu'), name: 'Bash', input };
    stop = 'tool_use';
  } else {
    content = { type: 'text', text: sawResult ? script.final : 'ok' };
    stop = 'end_turn';
  }
  const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const message = { id: id('msg'), type: 'message', role: 'assistant', model, stop_sequence: null, usage };
  if (body.stream !== true) {
    sendJson(response, 200, { ...message, content: [content], stop_reason: stop });
    return;
  }
  const start = content.type === 'tool_use' ? { ...content, input: {} } : { type: 'text', text: '' };
  const delta =
    content.type === 'tool_use'
      ? { type: 'input_json_delta', partial_json: JSON.stringify(content.input) }
      : { type: 'text_delta', text: content.text };
  sendEvents(response, [
    ['message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null } }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: start }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    [
      'message_delta',
      { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 20 } },
    ],
    ['message_stop', { type: 'message_stop' }],
  ]);
}

// ---- OpenAI Responses (Codex) -------------------------------------------------------------

/** The shell tools Codex may offer, and how each takes its command. */
function codexShellCall(names: readonly string[], command: string): { name: string; args: Json } | undefined {
  if (names.includes('shell_command')) return { name: 'shell_command', args: { command } };
  if (names.includes('exec_command')) return { name: 'exec_command', args: { cmd: command } };
  if (names.includes('shell')) return { name: 'shell', args: { command: ['bash', '-c', command] } };
  return undefined;
}

function openAiResponses(
  body: Json,
  script: FakeModelScript,
  response: ServerResponse,
  toolCalls: { tool: string; command: string }[],
): void {
  const input = Array.isArray(body.input) ? (body.input as Json[]) : [];
  const sawResult = input.some((item) => typeof item.type === 'string' && item.type.endsWith('_call_output'));
  const shell = sawResult ? undefined : codexShellCall(toolNames(body.tools), script.command);
  if (shell !== undefined && script.escalate === true) {
    shell.args = { ...shell.args, sandbox_permissions: 'require_escalated', justification: 'report to the engine' };
  }
  const responseId = id('resp');
  let item: Json;
  if (shell !== undefined) {
    toolCalls.push({ tool: shell.name, command: script.command });
    item = {
      type: 'function_call',
      id: id('fc'),
      call_id: id('call'),
      name: shell.name,
      arguments: JSON.stringify(shell.args),
      status: 'completed',
    };
  } else {
    item = {
      type: 'message',
      id: id('msg'),
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: sawResult ? script.final : 'ok', annotations: [] }],
    };
  }
  const usage = {
    input_tokens: 100,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 20,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 120,
  };
  const base = { id: responseId, object: 'response', model: body.model ?? 'fake-model' };
  sendEvents(response, [
    ['response.created', { type: 'response.created', response: { ...base, status: 'in_progress', output: [] } }],
    ['response.output_item.added', { type: 'response.output_item.added', output_index: 0, item }],
    ['response.output_item.done', { type: 'response.output_item.done', output_index: 0, item }],
    [
      'response.completed',
      { type: 'response.completed', response: { ...base, status: 'completed', output: [item], usage } },
    ],
  ]);
}

// ---- OpenAI Chat Completions (opencode) ---------------------------------------------------

function chatCompletions(
  body: Json,
  script: FakeModelScript,
  response: ServerResponse,
  toolCalls: { tool: string; command: string }[],
): void {
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  const sawResult = messages.some((message) => message.role === 'tool');
  const offersBash = toolNames(body.tools).includes('bash');
  const model = typeof body.model === 'string' ? body.model : 'fake-model';
  const base = { id: id('chatcmpl'), object: 'chat.completion.chunk', created: 1_700_000_000, model };
  const usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 };
  let delta: Json;
  let finish: string;
  if (!sawResult && offersBash) {
    toolCalls.push({ tool: 'bash', command: script.command });
    const args = JSON.stringify({ command: script.command, description: 'Report to the engine' });
    delta = {
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, id: id('call'), type: 'function', function: { name: 'bash', arguments: args } }],
    };
    finish = 'tool_calls';
  } else {
    delta = { role: 'assistant', content: sawResult ? script.final : 'ok' };
    finish = 'stop';
  }
  if (body.stream !== true) {
    const { tool_calls: calls, ...rest } = delta;
    sendJson(response, 200, {
      ...base,
      object: 'chat.completion',
      choices: [
        { index: 0, message: calls === undefined ? rest : { ...rest, tool_calls: calls }, finish_reason: finish },
      ],
      usage,
    });
    return;
  }
  sendEvents(response, [
    [undefined, { ...base, choices: [{ index: 0, delta, finish_reason: null }] }],
    [undefined, { ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }], usage }],
    [undefined, '[DONE]'],
  ]);
}
