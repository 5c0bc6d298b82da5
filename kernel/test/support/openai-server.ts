import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the next chat request gets: a streamed answer, an error in OpenAI's shape, or a stream that stalls. */
export type ChatScript =
  | { kind: 'stream'; words: string[]; delayMs?: number; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { kind: 'error'; status: number; message: string; type?: string; retryAfter?: string }
  | { kind: 'hang' }
  /** Tool calls streamed as OpenAI frames them: id, name and argument fragments over several chunks, `finish_reason: 'tool_calls'`. */
  | { kind: 'tool_calls'; calls: Array<{ id?: string; name: string; arguments: string }>; content?: string[]; usage?: { prompt_tokens: number; completion_tokens: number } };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/**
 * A local server that speaks the OpenAI wire format (the edge we cannot reach in
 * tests): `GET /v1/models`, `POST /v1/chat/completions` streamed as SSE exactly
 * as OpenAI frames it, `POST /v1/embeddings`, and OpenAI's JSON error bodies.
 * Each chat request takes the next script (the last one repeats).
 */
export class OpenAiWireServer {
  readonly requests: RecordedRequest[] = [];
  /** Connections closed by the client before the answer finished (cancellation reached the server). */
  closedEarly = 0;
  scripts: ChatScript[] = [{ kind: 'stream', words: ['Hello', ' there', '!'] }];
  apiKey = 'sk-test';
  /** More `GET /v1/models` entries (e.g. `{id, supported_parameters: []}` for a model without tool calling). */
  extraModels: Array<Record<string, unknown>> = [];
  /** `POST /v1/moderations` flags an input containing one of these words (case-insensitive). */
  flagWords: string[] = ['kill'];
  /** When set, `POST /v1/moderations` answers this error instead. */
  moderationError: { status: number; message: string } | undefined;
  private server: Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1/chat/completions');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const record: RecordedRequest = { method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, headers: req.headers, body: text ? JSON.parse(text) : undefined };
    this.requests.push(record);
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return this.error(res, { kind: 'error', status: 401, message: 'Incorrect API key provided: sk-wrong.', type: 'invalid_request_error' });
    if (record.path === '/v1/models') return this.json(res, 200, { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1, owned_by: 'openai' }, { id: 'text-embedding-3-small', object: 'model', created: 1, owned_by: 'openai' }, ...this.extraModels] });
    if (record.path === '/v1/embeddings') {
      const input = record.body.input as string[];
      return this.json(res, 200, { object: 'list', data: input.map((s, index) => ({ object: 'embedding', index, embedding: [s.length, 1, 0] })), model: record.body.model, usage: { prompt_tokens: input.length, total_tokens: input.length } });
    }
    if (record.path === '/v1/moderations') {
      if (this.moderationError) return this.error(res, { kind: 'error', ...this.moderationError });
      const flagged = (text: string) => this.flagWords.some((w) => text.toLowerCase().includes(w.toLowerCase()));
      return this.json(res, 200, { id: 'modr-1', model: record.body.model, results: (record.body.input as string[]).map((s) => ({ flagged: flagged(s), categories: { violence: flagged(s) }, category_scores: { violence: flagged(s) ? 0.98 : 0.01 } })) });
    }
    if (record.path !== '/v1/chat/completions') return this.error(res, { kind: 'error', status: 404, message: 'Not found' });
    const script = this.scripts.length > 1 ? this.scripts.shift()! : this.scripts[0]!;
    if (script.kind === 'error') return this.error(res, script);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.on('close', () => {
      if (!res.writableFinished) this.closedEarly++;
    });
    if (script.kind === 'hang') {
      res.write(': keep-alive\n\n');
      return;
    }
    const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: record.body.model, system_fingerprint: 'fp_1' };
    const send = (payload: object) => res.write(`data: ${JSON.stringify({ ...base, ...payload })}\n\n`);
    send({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    if (script.kind === 'tool_calls') return this.streamToolCalls(res, script, send);
    for (const word of script.words) {
      if (res.destroyed) return;
      if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
      send({ choices: [{ index: 0, delta: { content: word }, logprobs: null, finish_reason: null }] });
    }
    send({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] });
    const usage = script.usage ?? { prompt_tokens: 10, completion_tokens: script.words.length };
    send({ choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
    res.end('data: [DONE]\n\n');
  }

  /** Text first (if any), then each call: a chunk with id, type and name, then its arguments in three fragments. */
  private streamToolCalls(res: ServerResponse, script: Extract<ChatScript, { kind: 'tool_calls' }>, send: (payload: object) => void): void {
    for (const word of script.content ?? []) send({ choices: [{ index: 0, delta: { content: word }, logprobs: null, finish_reason: null }] });
    script.calls.forEach((call, index) => {
      const id = call.id ?? `call_${index + 1}`;
      send({ choices: [{ index: 0, delta: { tool_calls: [{ index, id, type: 'function', function: { name: call.name, arguments: '' } }] }, logprobs: null, finish_reason: null }] });
      const third = Math.ceil(call.arguments.length / 3);
      for (let at = 0; at < call.arguments.length; at += third) {
        send({ choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + third) } }] }, logprobs: null, finish_reason: null }] });
      }
    });
    send({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }] });
    const usage = script.usage ?? { prompt_tokens: 10, completion_tokens: 5 };
    send({ choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
    res.end('data: [DONE]\n\n');
  }

  private json(res: ServerResponse, status: number, body: object): void {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  private error(res: ServerResponse, script: Extract<ChatScript, { kind: 'error' }>): void {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (script.retryAfter) headers['retry-after'] = script.retryAfter;
    res.writeHead(script.status, headers).end(JSON.stringify({ error: { message: script.message, type: script.type ?? 'server_error', param: null, code: null } }));
  }
}
