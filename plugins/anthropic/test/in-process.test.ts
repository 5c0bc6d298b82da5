import { expect } from "chai";
import { collectChat, PluginError, type ChatChunk, type ChatRequest, type FetchResponse, type PluginContext } from "@tessera/sdk";
import { anthropic } from "../src/provider.js";
import { AnthropicServer, errorBody, messageStart, messageStream, textBlock } from "./support/anthropic-server.js";

// The provider called directly in Node, with ctx.fetch served by Node's fetch:
// what the isolate bridge does not carry (PluginError.retryAfterMs, details)
// and ctx.signal can be checked here.

function nodeContext(signal: AbortSignal): PluginContext {
  const unused = () => {
    throw new Error("not available in this test");
  };
  return {
    workspaceId: "test",
    signal,
    async fetch(input, init = {}): Promise<FetchResponse> {
      const url = typeof input === "string" ? input : input.href;
      const res = await fetch(url, { method: init.method ?? "GET", headers: init.headers as Record<string, string>, body: (init.body ?? null) as string | null, signal });
      return {
        status: res.status,
        statusText: res.statusText,
        ok: res.ok,
        url: res.url,
        headers: res.headers,
        body: res.body as unknown as AsyncIterable<Uint8Array> | null,
        text: () => res.text(),
        json: () => res.json(),
        arrayBuffer: () => res.arrayBuffer(),
      };
    },
    kv: { get: unused, set: unused, delete: unused, list: unused, quota: unused },
    secrets: { get: unused, getAll: unused },
    models: { chat: unused, embed: unused, rerank: unused },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
}

describe("anthropic provider in-process", () => {
  const server = new AnthropicServer();
  let request: ChatRequest<{ api_key: string; base_url: string }>;

  before(async () => {
    await server.start();
    request = { model: "claude-sonnet-4-20250514", messages: [{ role: "user", content: "Hi" }], credentials: { api_key: "k", base_url: server.base } };
  });
  after(() => server.stop());
  beforeEach(() => server.reset());

  it("streams a reply", async () => {
    server.on("POST", "/v1/messages", { sse: messageStream([textBlock(0, ["Hi", " there"])]) });
    const completion = await collectChat(anthropic.chat(request, nodeContext(new AbortController().signal)));
    expect(completion.message.content).to.equal("Hi there");
  });

  it("sets retryAfterMs on plugin_rate_limited from retry-after, and keeps the request id in details", async () => {
    server.on("POST", "/v1/messages", { status: 429, json: errorBody("rate_limit_error", "rate limited"), headers: { "retry-after": "12", "request-id": "req_abc" } });
    let error: PluginError | undefined;
    try {
      await collectChat(anthropic.chat(request, nodeContext(new AbortController().signal)));
    } catch (e) {
      error = e as PluginError;
    }
    expect(error).to.be.instanceOf(PluginError);
    expect(error?.code).to.equal("plugin_rate_limited");
    expect(error?.retryAfterMs).to.equal(12_000);
    expect(error?.details).to.deep.equal({ status: 429, type: "rate_limit_error", request_id: "req_abc" });
  });

  it("stops with plugin_cancelled when ctx.signal aborts mid-stream, and the connection closes", async () => {
    server.on("POST", "/v1/messages", { sse: messageStart() + textBlock(0, ["one"]).split("event: content_block_stop")[0]!, after: "hold" });
    const controller = new AbortController();
    const seen: ChatChunk[] = [];
    let error: PluginError | undefined;
    try {
      for await (const chunk of anthropic.chat(request, nodeContext(controller.signal))) {
        seen.push(chunk);
        controller.abort();
      }
    } catch (e) {
      error = e as PluginError;
    }
    expect(seen.map((c) => c.delta.content)).to.deep.equal(["one"]);
    expect(error?.code).to.equal("plugin_cancelled");
    expect((await server.last.closed).aborted).to.equal(true);
  });
});
