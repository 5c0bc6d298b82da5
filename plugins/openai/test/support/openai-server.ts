/**
 * A local HTTP server on 127.0.0.1 that speaks OpenAI's wire format, for
 * tests: scripted responses per route, SSE frames exactly as OpenAI sends
 * them, byte-sliced writes, cut connections, and a record of every request
 * (method, path, headers, parsed body, and whether the client hung up early).
 *
 * @module
 */

import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the server received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path with query string, e.g. `/openai/deployments/x/chat/completions?api-version=2024-10-21`. */
  readonly url: string;
  /** Path without query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The body parsed as JSON, or `undefined` when empty or not JSON. */
  readonly body: any;
  /** Resolves when the connection closes; `responseComplete` is false when the client left before the response ended. */
  readonly closed: Promise<{ readonly responseComplete: boolean }>;
}

/** Answers one request. */
export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/** How {@link sendSse} ends the response. */
export type SseEnding = "end" | "destroy" | "hold";

/** Options of {@link sendSse}. */
export interface SseOptions {
  /** Write the concatenated bytes in slices of this many bytes (a list cycles through sizes). Default: one write per frame. */
  readonly sliceBytes?: number | readonly number[];
  /** Pause between writes, in ms (default 0 = next tick; 2+ makes separate network reads likely). */
  readonly delayMs?: number;
  /** `end` (default) finishes the response; `destroy` cuts the socket after the last write; `hold` leaves it open until the client leaves. */
  readonly then?: SseEnding;
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class OpenAIServer {
  /** Every request received since the last {@link reset}, in order. */
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Handler[]>();

  private constructor(private readonly server: Server) {}

  /** Starts a server on an ephemeral port of 127.0.0.1. */
  static async start(): Promise<OpenAIServer> {
    const server = createServer();
    const instance = new OpenAIServer(server);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const rawBody = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = rawBody === "" ? undefined : JSON.parse(rawBody);
        } catch {
          body = undefined;
        }
        const url = req.url ?? "/";
        const q = url.indexOf("?");
        const closed = new Promise<{ responseComplete: boolean }>((resolve) => {
          res.on("close", () => resolve({ responseComplete: res.writableFinished }));
        });
        const recorded: RecordedRequest = {
          method: req.method ?? "GET",
          url,
          path: q === -1 ? url : url.slice(0, q),
          query: new URLSearchParams(q === -1 ? "" : url.slice(q + 1)),
          headers: req.headers,
          rawBody,
          body,
          closed,
        };
        instance.requests.push(recorded);
        res.socket?.setNoDelay(true);
        const handler = instance.next(recorded.method, recorded.path);
        Promise.resolve(handler(recorded, res)).catch((error: unknown) => {
          if (!res.headersSent) sendError(res, 500, { message: `test server handler failed: ${String(error)}`, type: "server_error" });
          else res.destroy();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return instance;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>`. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `http://127.0.0.1:<port>/v1`, the OpenAI-style base URL. */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /**
   * Scripts the answers to `method path` (path without query): the first
   * request gets the first handler, and so on; the last one keeps answering.
   */
  on(method: string, path: string, ...handlers: Handler[]): this {
    this.routes.set(`${method.toUpperCase()} ${path}`, [...handlers]);
    return this;
  }

  /** The requests to `path` (any method). */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Forgets the scripted routes and the recorded requests. */
  reset(): void {
    this.routes.clear();
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private next(method: string, path: string): Handler {
    const queue = this.routes.get(`${method} ${path}`);
    if (!queue || queue.length === 0) {
      // What api.openai.com answers for an unknown route.
      return (_req, res) =>
        sendError(res, 404, { message: `Invalid URL (${method} ${path})`, type: "invalid_request_error" });
    }
    return queue.length > 1 ? queue.shift()! : queue[0]!;
  }
}

// --- responses ---------------------------------------------------------------

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** An OpenAI error, as in `{"error": {"message", "type", "param", "code"}}`. */
export interface OpenAIErrorBody {
  readonly message: string;
  readonly type?: string;
  readonly param?: string | null;
  readonly code?: string | null;
}

/** Sends an error in OpenAI's JSON shape. */
export function sendError(res: ServerResponse, status: number, error: OpenAIErrorBody, headers: Readonly<Record<string, string>> = {}): void {
  sendJson(res, status, { error: { message: error.message, type: error.type ?? "invalid_request_error", param: error.param ?? null, code: error.code ?? null } }, headers);
}

/** Writes an event stream: `frames` verbatim (see {@link frame}, {@link DONE}), sliced and paced as asked. */
export async function sendSse(res: ServerResponse, frames: readonly string[], options: SseOptions = {}): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-request-id": "req_test",
    ...options.headers,
  });
  const delay = options.delayMs ?? 0;
  const writes: Buffer[] = [];
  if (options.sliceBytes === undefined) writes.push(...frames.map((f) => Buffer.from(f, "utf8")));
  else {
    const all = Buffer.from(frames.join(""), "utf8");
    const sizes = typeof options.sliceBytes === "number" ? [options.sliceBytes] : options.sliceBytes;
    for (let at = 0, i = 0; at < all.length; i++) {
      const size = Math.max(1, sizes[i % sizes.length]!);
      writes.push(all.subarray(at, at + size));
      at += size;
    }
  }
  for (const bytes of writes) {
    if (res.destroyed) return;
    res.write(bytes);
    await (delay > 0 ? wait(delay) : new Promise<void>((resolve) => setImmediate(resolve)));
  }
  const ending = options.then ?? "end";
  if (ending === "end") res.end();
  else if (ending === "destroy") res.socket?.destroy();
}

// --- OpenAI frames -----------------------------------------------------------

/** The `data: [DONE]` terminator. */
export const DONE = "data: [DONE]\n\n";

/** One SSE frame, `data: <json>\n\n`, as OpenAI writes them. */
export function frame(json: unknown): string {
  return `data: ${JSON.stringify(json)}\n\n`;
}

const CHUNK_ID = "chatcmpl-BKm3gXoOaVhl6bYUq8Zy0Ldd3Zpcg";

/** A `chat.completion.chunk` with one choice, exactly as OpenAI streams it (with `stream_options.include_usage`). */
export function chunk(delta: Record<string, unknown>, finishReason: string | null = null, model = "gpt-4o-mini-2024-07-18"): Record<string, unknown> {
  return {
    id: CHUNK_ID,
    object: "chat.completion.chunk",
    created: 1744390000,
    model,
    service_tier: "default",
    system_fingerprint: "fp_b376dfbbd5",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  };
}

/** The final usage chunk OpenAI sends after the finish chunk: `choices` empty. */
export function usageChunk(promptTokens: number, completionTokens: number, model = "gpt-4o-mini-2024-07-18"): Record<string, unknown> {
  return {
    id: CHUNK_ID,
    object: "chat.completion.chunk",
    created: 1744390000,
    model,
    service_tier: "default",
    system_fingerprint: "fp_b376dfbbd5",
    choices: [],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
  };
}

/** The frames of a text reply: role chunk, one chunk per piece, finish chunk, usage chunk, `[DONE]`. */
export function textFrames(pieces: readonly string[], usage: readonly [number, number] = [12, pieces.length]): string[] {
  return [
    frame(chunk({ role: "assistant", content: "", refusal: null })),
    ...pieces.map((content) => frame(chunk({ content }))),
    frame(chunk({}, "stop")),
    frame(usageChunk(usage[0], usage[1])),
    DONE,
  ];
}

/** A tool call to stream. */
export interface StreamedCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/**
 * The frames of a tool-call reply as OpenAI streams it: the first delta of each
 * call carries id, type, name and `arguments: ""`; then the arguments arrive in
 * fragments of `fragment` characters, one chunk each; then `finish_reason: tool_calls`.
 */
export function toolCallFrames(calls: readonly StreamedCall[], fragment = 3, usage: readonly [number, number] = [80, 30]): string[] {
  const frames: string[] = [];
  calls.forEach((call, index) => {
    const head = { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } };
    frames.push(frame(chunk(index === 0 ? { role: "assistant", content: null, tool_calls: [head], refusal: null } : { tool_calls: [head] })));
    for (let at = 0; at < call.arguments.length; at += fragment) {
      frames.push(frame(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + fragment) } }] })));
    }
  });
  frames.push(frame(chunk({}, "tool_calls")), frame(usageChunk(usage[0], usage[1])), DONE);
  return frames;
}

/** A `GET /models` answer in OpenAI's shape. */
export function modelList(ids: readonly (string | Record<string, unknown>)[]): Record<string, unknown> {
  return {
    object: "list",
    data: ids.map((entry) =>
      typeof entry === "string" ? { id: entry, object: "model", created: 1715367049, owned_by: "system" } : { object: "model", created: 1715367049, owned_by: "system", ...entry },
    ),
  };
}

/** An embeddings answer; `order` lists the input indexes in the order to return them. */
export function embeddingList(vectors: readonly (readonly number[])[], promptTokens: number, order?: readonly number[], model = "text-embedding-3-small"): Record<string, unknown> {
  const indexes = order ?? vectors.map((_, i) => i);
  return {
    object: "list",
    data: indexes.map((index) => ({ object: "embedding", index, embedding: vectors[index] })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
