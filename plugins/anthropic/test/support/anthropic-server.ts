/**
 * A local HTTP server speaking Anthropic's wire format, scripted per test:
 * queue replies for `METHOD /path`, then inspect the recorded requests and
 * whether the client closed a connection before the reply ended.
 */

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON (`undefined` when empty or not JSON). */
  readonly body: unknown;
  readonly rawBody: string;
  /** Resolves when the connection closes: `aborted` if the client closed it before the reply was complete. */
  readonly closed: Promise<{ aborted: boolean }>;
}

/** A plain (JSON or text) reply. */
export interface PlainReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly text?: string;
}

/** A server-sent-events reply. */
export interface SseReply {
  /** The whole stream, already in wire format (see {@link sse}). */
  readonly sse: string;
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** Write the stream in pieces of this many bytes (default: all at once). */
  readonly chunkSize?: number;
  /** Pause between pieces, ms (default 0: next macrotask). */
  readonly delayMs?: number;
  /** After writing: `end` (default) ends the response cleanly, `destroy` drops the socket, `hold` keeps it open. */
  readonly after?: "end" | "destroy" | "hold";
}

/** A hand-written reply. */
export type HandlerReply = (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => void | Promise<void>;

export type Reply = PlainReply | SseReply | HandlerReply;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AnthropicServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queues = new Map<string, Reply[]>();
  private readonly open = new Set<ServerResponse>();
  private server: Server | undefined;
  port = 0;

  /** `http://127.0.0.1:<port>` */
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The grants a test host needs to reach this server. */
  get grants(): { hosts: string[]; allowPrivate: string[] } {
    return { hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${this.port}`] };
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Queues replies for `method path` (served in order). */
  on(method: string, path: string, ...replies: Reply[]): this {
    const key = `${method.toUpperCase()} ${path}`;
    this.queues.set(key, [...(this.queues.get(key) ?? []), ...replies]);
    return this;
  }

  /** Forgets queued replies and recorded requests. */
  reset(): void {
    this.queues.clear();
    this.requests.length = 0;
  }

  /** The last recorded request. */
  get last(): RecordedRequest {
    const last = this.requests[this.requests.length - 1];
    if (!last) throw new Error("no request was recorded");
    return last;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    try {
      body = rawBody === "" ? undefined : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const url = new URL(req.url ?? "/", "http://local");
    const closed = new Promise<{ aborted: boolean }>((resolve) => {
      res.on("close", () => resolve({ aborted: !res.writableFinished }));
    });
    const recorded: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, body, rawBody, closed };
    this.requests.push(recorded);
    this.open.add(res);
    res.on("close", () => this.open.delete(res));

    const reply = this.queues.get(`${recorded.method} ${recorded.path}`)?.shift();
    if (!reply) {
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify(errorBody("api_error", `unscripted ${recorded.method} ${recorded.path}`)));
      return;
    }
    if (typeof reply === "function") return reply(req, res, recorded);
    if ("sse" in reply) return this.stream(res, reply);
    const headers = { ...(reply.json !== undefined ? { "content-type": "application/json" } : {}), ...reply.headers };
    res.writeHead(reply.status, headers).end(reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? ""));
  }

  private async stream(res: ServerResponse, reply: SseReply): Promise<void> {
    res.writeHead(reply.status ?? 200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...reply.headers });
    res.flushHeaders();
    const bytes = Buffer.from(reply.sse, "utf8");
    const size = reply.chunkSize ?? bytes.length;
    for (let at = 0; at < bytes.length; at += size) {
      if (res.destroyed) return;
      res.write(bytes.subarray(at, at + size));
      if (at + size < bytes.length) await sleep(reply.delayMs ?? 0);
    }
    const after = reply.after ?? "end";
    if (after === "end") res.end();
    else if (after === "destroy") {
      await sleep(20);
      res.socket?.destroy();
    }
  }
}

// --- Anthropic wire format -------------------------------------------------

/** `{"type":"error","error":{type, message}}` */
export function errorBody(type: string, message: string): { type: "error"; error: { type: string; message: string } } {
  return { type: "error", error: { type, message } };
}

/** One event in wire format: `event: <type>\ndata: <json>\n\n`. */
export function sse(type: string, data: unknown, newline = "\n"): string {
  return `event: ${type}${newline}data: ${JSON.stringify(data)}${newline}${newline}`;
}

export function messageStart(usage: Record<string, number> = { input_tokens: 25, output_tokens: 1 }, model = "claude-sonnet-4-20250514"): string {
  return sse("message_start", {
    type: "message_start",
    message: { id: "msg_01TEST", type: "message", role: "assistant", content: [], model, stop_reason: null, stop_sequence: null, usage },
  });
}

export function textBlock(index: number, parts: readonly string[]): string {
  return (
    sse("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }) +
    parts.map((text) => sse("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text } })).join("") +
    sse("content_block_stop", { type: "content_block_stop", index })
  );
}

export function thinkingBlock(index: number, parts: readonly string[]): string {
  return (
    sse("content_block_start", { type: "content_block_start", index, content_block: { type: "thinking", thinking: "" } }) +
    parts.map((thinking) => sse("content_block_delta", { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking } })).join("") +
    sse("content_block_delta", { type: "content_block_delta", index, delta: { type: "signature_delta", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3h" } }) +
    sse("content_block_stop", { type: "content_block_stop", index })
  );
}

export function toolUseBlock(index: number, id: string, name: string, fragments: readonly string[]): string {
  return (
    sse("content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id, name, input: {} } }) +
    sse("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: "" } }) +
    fragments.map((partial_json) => sse("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } })).join("") +
    sse("content_block_stop", { type: "content_block_stop", index })
  );
}

export function messageDelta(stopReason: string | null, outputTokens: number): string {
  return sse("message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
}

export const ping = (): string => sse("ping", { type: "ping" });
export const messageStop = (): string => sse("message_stop", { type: "message_stop" });

/** A whole reply: message_start, a ping, the blocks, message_delta and message_stop. */
export function messageStream(blocks: readonly string[], options: { stopReason?: string; inputTokens?: number; outputTokens?: number } = {}): string {
  return (
    messageStart({ input_tokens: options.inputTokens ?? 25, output_tokens: 1 }) +
    ping() +
    blocks.join("") +
    messageDelta(options.stopReason ?? "end_turn", options.outputTokens ?? 15) +
    messageStop()
  );
}

/** A `GET /v1/models` page. */
export function modelsPage(ids: readonly [string, string][], hasMore: boolean): unknown {
  return {
    data: ids.map(([id, display_name]) => ({ type: "model", id, display_name, created_at: "2025-05-22T00:00:00Z" })),
    has_more: hasMore,
    first_id: ids[0]?.[0] ?? null,
    last_id: ids[ids.length - 1]?.[0] ?? null,
  };
}
