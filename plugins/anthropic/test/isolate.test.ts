import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { collectChat, PluginError, type ChatChunk, type ChatParams, type ModelDescriptor } from "@tessera/sdk";
import { createTestHost, type TestHost } from "@tessera/sdk/testing";
import {
  AnthropicServer,
  errorBody,
  messageDelta,
  messageStart,
  messageStop,
  messageStream,
  modelsPage,
  ping,
  sse,
  textBlock,
  thinkingBlock,
  toolUseBlock,
} from "./support/anthropic-server.js";

// The built bundle (dist/plugin.js) in a V8 isolate, with ctx.fetch served by
// the kernel's SSRF-guarded fetch, talking to a local server that speaks
// Anthropic's wire format.
const pluginDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "sk-ant-test-key";

async function rejection(call: Promise<unknown>): Promise<PluginError> {
  try {
    await call;
  } catch (error) {
    expect(error).to.be.instanceOf(PluginError);
    return error as PluginError;
  }
  throw new Error("expected a rejection");
}

async function drain(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const hello: ChatParams = { model: "claude-sonnet-4-20250514", messages: [{ role: "user", content: "Hello" }] };

describe("anthropic provider in the isolate test host", () => {
  const server = new AnthropicServer();
  let host: TestHost;
  let credentials: { api_key: string; base_url: string };

  const chat = (request: ChatParams = hello, creds: Record<string, unknown> = credentials) => host.chat("anthropic", request, creds);

  before(async () => {
    await server.start();
    host = await createTestHost({ pluginDir, grants: server.grants });
    credentials = { api_key: KEY, base_url: server.base };
  });

  after(async () => {
    await host?.close();
    await server.stop();
  });

  beforeEach(() => server.reset());

  it("declares the provider, llm models and network access to any host (narrowed by the grant)", () => {
    const provider = host.manifest.contributes.modelProviders?.[0];
    expect(provider?.id).to.equal("anthropic");
    expect(provider?.modelTypes).to.deep.equal(["llm"]);
    expect(host.manifest.permissions?.network?.hosts).to.deep.equal(["*"]);
    expect(Object.keys((provider?.credentialsSchema as { properties: object }).properties)).to.deep.equal(["api_key", "base_url"]);
    // Provider credentials live with the provider (the model runtime stores them), not as plugin-level secrets.
    expect(host.manifest.credentialsSchema).to.equal(undefined);
  });

  describe("chat", () => {
    it("streams text deltas as they arrive, then finish_reason and usage", async () => {
      server.on("POST", "/v1/messages", { sse: messageStream([textBlock(0, ["Hello", "!", " How can I help?"])], { inputTokens: 12, outputTokens: 9 }) });
      const chunks = await drain(chat());
      expect(chunks.map((c) => c.delta.content).filter(Boolean)).to.deep.equal(["Hello", "!", " How can I help?"]);
      const last = chunks[chunks.length - 1]!;
      expect(last.finish_reason).to.equal("stop");
      expect(last.usage).to.deep.equal({ prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 });
      expect(chunks.slice(0, -1).every((c) => c.finish_reason === undefined)).to.equal(true);

      const req = server.last;
      expect(req.method).to.equal("POST");
      expect(req.path).to.equal("/v1/messages");
      expect(req.headers["x-api-key"]).to.equal(KEY);
      expect(req.headers["anthropic-version"]).to.equal("2023-06-01");
      expect(req.headers["content-type"]).to.equal("application/json");
      expect(req.headers["authorization"]).to.equal(undefined);
      expect(req.body).to.deep.equal({
        model: "claude-sonnet-4-20250514",
        max_tokens: 4096,
        messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
        stream: true,
      });
    });

    it("yields the first delta before the stream has ended", async () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      server.on("POST", "/v1/messages", async (_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(messageStart() + textBlock(0, ["first"]).split("event: content_block_stop")[0]);
        await released;
        res.end(sse("content_block_stop", { type: "content_block_stop", index: 0 }) + messageDelta("end_turn", 2) + messageStop());
      });
      const iterator = chat()[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value?.delta.content).to.equal("first");
      release();
      const rest: ChatChunk[] = [];
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) rest.push(step.value);
      expect(rest[rest.length - 1]?.finish_reason).to.equal("stop");
    });

    it("parses events split at arbitrary byte positions, with CRLF line ends, comments and multi-byte characters", async () => {
      const text = ["Grüße, ", "世界", " 🙂 — naïve café"];
      const wire = messageStream([textBlock(0, text)]).replace(/\n/g, "\r\n").replace("event: ping", ": keep-alive comment\r\nevent: ping");
      for (const chunkSize of [1, 2, 3, 7]) {
        server.on("POST", "/v1/messages", { sse: wire, chunkSize });
        const completion = await collectChat(chat());
        expect(completion.message.content, `chunkSize ${chunkSize}`).to.equal(text.join(""));
        expect(completion.finish_reason).to.equal("stop");
      }
    });

    it("assembles tool calls from many input_json_delta events, indexed per tool_use block", async () => {
      const args1 = JSON.stringify({ city: "Paris", unit: "celsius", days: [1, 2, 3] });
      const args2 = JSON.stringify({ query: "weather \"today\" in Paris" });
      const split = (s: string) => s.match(/.{1,3}/gs) ?? [];
      server.on("POST", "/v1/messages", {
        sse: messageStream(
          [textBlock(0, ["Let me check."]), toolUseBlock(1, "toolu_01A", "get_weather", split(args1)), toolUseBlock(2, "toolu_01B", "web_search", split(args2))],
          { stopReason: "tool_use" },
        ),
        chunkSize: 64,
      });
      const chunks = await drain(chat());
      const starts = chunks.flatMap((c) => c.delta.tool_calls ?? []).filter((d) => d.id !== undefined);
      expect(starts).to.deep.equal([
        { index: 0, id: "toolu_01A", type: "function", function: { name: "get_weather", arguments: "" } },
        { index: 1, id: "toolu_01B", type: "function", function: { name: "web_search", arguments: "" } },
      ]);
      const fragments = chunks.flatMap((c) => c.delta.tool_calls ?? []).filter((d) => d.id === undefined);
      expect(fragments.length).to.equal(split(args1).length + split(args2).length);

      const completion = await collectChat((async function* () { yield* chunks; })());
      expect(completion.finish_reason).to.equal("tool_calls");
      expect(completion.message.content).to.equal("Let me check.");
      expect(completion.message.tool_calls).to.deep.equal([
        { id: "toolu_01A", type: "function", function: { name: "get_weather", arguments: args1 } },
        { id: "toolu_01B", type: "function", function: { name: "web_search", arguments: args2 } },
      ]);
    });

    it("gives a tool call without argument deltas the arguments {}", async () => {
      const block =
        sse("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_01C", name: "get_time", input: {} } }) +
        sse("content_block_stop", { type: "content_block_stop", index: 0 });
      server.on("POST", "/v1/messages", { sse: messageStream([block], { stopReason: "tool_use" }) });
      const completion = await collectChat(chat());
      expect(completion.message.tool_calls).to.deep.equal([{ id: "toolu_01C", type: "function", function: { name: "get_time", arguments: "{}" } }]);
    });

    it("streams thinking as reasoning_content", async () => {
      server.on("POST", "/v1/messages", { sse: messageStream([thinkingBlock(0, ["The user greets me.", " I should greet back."]), textBlock(1, ["Hi!"])]) });
      const chunks = await drain(chat());
      expect(chunks.map((c) => c.delta.reasoning_content).filter(Boolean)).to.deep.equal(["The user greets me.", " I should greet back."]);
      const completion = await collectChat((async function* () { yield* chunks; })());
      expect(completion.reasoning_content).to.equal("The user greets me. I should greet back.");
      expect(completion.message.content).to.equal("Hi!");
    });

    it("maps stop reasons: max_tokens → length, stop_sequence → stop", async () => {
      server.on("POST", "/v1/messages", { sse: messageStream([textBlock(0, ["cut"])], { stopReason: "max_tokens" }) });
      expect((await collectChat(chat())).finish_reason).to.equal("length");
      server.on("POST", "/v1/messages", { sse: messageStream([textBlock(0, ["x"])], { stopReason: "stop_sequence" }) });
      expect((await collectChat(chat())).finish_reason).to.equal("stop");
    });

    it("counts cache reads and writes as prompt tokens, and takes the latest cumulative counts", async () => {
      const wire =
        messageStart({ input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 1 }) +
        textBlock(0, ["ok"]) +
        sse("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } }) +
        sse("message_delta", { type: "message_delta", delta: {}, usage: { output_tokens: 5 } }) +
        messageStop();
      server.on("POST", "/v1/messages", { sse: wire });
      const completion = await collectChat(chat());
      expect(completion.usage).to.deep.equal({ prompt_tokens: 1110, completion_tokens: 5, total_tokens: 1115 });
      expect(completion.finish_reason).to.equal("stop");
    });

    it("sends the conversation in Messages API form: system, merged turns, images, tool use and tool results", async () => {
      server.on("POST", "/v1/messages", { sse: messageStream([textBlock(0, ["done"])]) });
      const request: ChatParams = {
        model: "claude-sonnet-4-20250514",
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "What is in this picture?" },
          {
            role: "user",
            content: [
              { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
              { type: "image_url", image_url: { url: "https://example.com/cat.jpg", detail: "high" } },
              { type: "text", text: "And the weather in Paris?" },
            ],
          },
          {
            role: "assistant",
            content: "A cat. Checking the weather.",
            tool_calls: [{ id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
          },
          { role: "tool", tool_call_id: "toolu_1", content: '{"temp":21}' },
          { role: "system", content: "Answer in French." },
          { role: "user", content: "Thanks" },
        ],
        tools: [{ type: "function", function: { name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }],
        tool_choice: { type: "function", function: { name: "get_weather" } },
        max_tokens: 512,
        temperature: 0.2,
        top_p: 0.9,
        stop: ["END"],
        user: "user-42",
      };
      await drain(chat(request));
      expect(server.last.body).to.deep.equal({
        model: "claude-sonnet-4-20250514",
        max_tokens: 512,
        system: "You are terse.\n\nAnswer in French.",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is in this picture?" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
              { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
              { type: "text", text: "And the weather in Paris?" },
            ],
          },
          {
            role: "assistant",
            content: [
              { type: "text", text: "A cat. Checking the weather." },
              { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_1", content: '{"temp":21}' },
              { type: "text", text: "Thanks" },
            ],
          },
        ],
        tools: [{ name: "get_weather", description: "Weather by city", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }],
        tool_choice: { type: "tool", name: "get_weather" },
        temperature: 0.2,
        top_p: 0.9,
        stop_sequences: ["END"],
        metadata: { user_id: "user-42" },
        stream: true,
      });
    });

    it("refuses an unsupported image before calling the API", async () => {
      const request: ChatParams = { model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/tiff;base64,AAAA" } }] }] };
      const error = await rejection(drain(chat(request)));
      expect(error.code).to.equal("plugin_invalid_arguments");
      expect(error.message).to.contain("image/tiff");
      expect(server.requests).to.have.length(0);
    });

    it("normalises a base_url given with a trailing /v1/", async () => {
      server.on("POST", "/v1/messages", { sse: messageStream([textBlock(0, ["ok"])]) });
      await drain(chat(hello, { api_key: KEY, base_url: `${server.base}/v1/` }));
      expect(server.last.path).to.equal("/v1/messages");
    });

    it("refuses to run without an api_key, before any request", async () => {
      const error = await rejection(drain(chat(hello, { base_url: server.base })));
      expect(error.code).to.equal("plugin_credentials_invalid");
      expect(server.requests).to.have.length(0);
    });
  });

  describe("errors", () => {
    const cases: [number, string, string, string][] = [
      [400, "invalid_request_error", "messages: roles must alternate", "plugin_invalid_arguments"],
      [401, "authentication_error", "invalid x-api-key", "plugin_credentials_invalid"],
      [403, "permission_error", "Your API key does not have permission to use the specified resource.", "plugin_credentials_invalid"],
      [404, "not_found_error", "model: claude-nope", "plugin_not_found"],
      [413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", "plugin_invalid_arguments"],
      [500, "api_error", "Internal server error", "plugin_upstream_error"],
      [529, "overloaded_error", "Overloaded", "plugin_upstream_error"],
    ];
    for (const [status, type, message, code] of cases) {
      it(`maps HTTP ${status} ${type} to ${code}, keeping Anthropic's message`, async () => {
        server.on("POST", "/v1/messages", { status, json: errorBody(type, message), headers: { "request-id": "req_123" } });
        const error = await rejection(drain(chat()));
        expect(error.code).to.equal(code);
        expect(error.message).to.contain(`Anthropic: ${message} (${type}, HTTP ${status})`);
      });
    }

    it("maps HTTP 429 to plugin_rate_limited with the retry-after delay", async () => {
      server.on("POST", "/v1/messages", { status: 429, json: errorBody("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"), headers: { "retry-after": "7" } });
      const error = await rejection(drain(chat()));
      expect(error.code).to.equal("plugin_rate_limited");
      expect(error.retryable).to.equal(true);
      expect(error.message).to.contain("per-minute rate limit");
      expect(error.message).to.contain("retry after 7 s");
      // retryAfterMs itself is dropped by the runtime's error bridge (see README); provider.test.ts checks it in-process.
    });

    it("quotes a non-JSON error body (e.g. from a proxy)", async () => {
      server.on("POST", "/v1/messages", { status: 502, text: "<html>Bad Gateway</html>", headers: { "content-type": "text/html" } });
      const error = await rejection(drain(chat()));
      expect(error.code).to.equal("plugin_upstream_error");
      expect(error.message).to.contain("<html>Bad Gateway</html>");
    });

    it("maps an error event inside the stream, after the deltas before it were delivered", async () => {
      const wire = messageStart() + sse("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }) +
        sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Part" } }) +
        sse("error", errorBody("overloaded_error", "Overloaded"));
      server.on("POST", "/v1/messages", { sse: wire });
      const seen: string[] = [];
      const error = await rejection((async () => {
        for await (const chunk of chat()) if (chunk.delta.content) seen.push(chunk.delta.content);
      })());
      expect(seen).to.deep.equal(["Part"]);
      expect(error.code).to.equal("plugin_upstream_error");
      expect(error.message).to.contain("Anthropic: Overloaded (overloaded_error)");
    });

    it("maps an in-stream rate_limit_error to plugin_rate_limited", async () => {
      server.on("POST", "/v1/messages", { sse: messageStart() + sse("error", errorBody("rate_limit_error", "slow down")) });
      expect((await rejection(drain(chat()))).code).to.equal("plugin_rate_limited");
    });

    it("reports a stream that ends before message_stop as plugin_upstream_error", async () => {
      server.on("POST", "/v1/messages", { sse: messageStart() + textBlock(0, ["Hel"]) });
      const error = await rejection(drain(chat()));
      expect(error.code).to.equal("plugin_upstream_error");
      expect(error.message).to.contain("stream ended early");
    });

    it("reports a dropped connection mid-stream as plugin_upstream_error", async () => {
      server.on("POST", "/v1/messages", { sse: messageStart() + textBlock(0, ["Hel"]), after: "destroy" });
      const error = await rejection(drain(chat()));
      expect(error.code).to.equal("plugin_upstream_error");
      expect(error.message).to.contain("Anthropic: reading the response stream failed");
    });

    it("reports an empty 200 body as plugin_upstream_error", async () => {
      server.on("POST", "/v1/messages", { sse: "" });
      const error = await rejection(drain(chat()));
      expect(error.code).to.equal("plugin_upstream_error");
      expect(error.message).to.contain("stream ended early");
    });

    it("reports a malformed event as plugin_upstream_error", async () => {
      server.on("POST", "/v1/messages", { sse: messageStart() + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\n\n" });
      const error = await rejection(drain(chat()));
      expect(error.code).to.equal("plugin_upstream_error");
      expect(error.message).to.contain("malformed content_block_delta event");
    });
  });

  describe("cancellation", () => {
    it("closes the upstream connection when the consumer stops reading mid-stream", async () => {
      server.on("POST", "/v1/messages", { sse: messageStart() + ping() + textBlock(0, ["one", "two"]).split("event: content_block_stop")[0]!, after: "hold" });
      for await (const chunk of chat()) {
        expect(chunk.delta.content).to.equal("one");
        break;
      }
      const { aborted } = await server.last.closed;
      expect(aborted).to.equal(true);
    });
  });

  describe("models and credentials", () => {
    it("lists the API's models across pages and describes them from the built-in table", async () => {
      server.on(
        "GET",
        "/v1/models",
        { status: 200, json: modelsPage([["claude-sonnet-4-20250514", "Claude Sonnet 4"], ["claude-3-haiku-20240307", "Claude Haiku 3"]], true) },
        { status: 200, json: modelsPage([["claude-future-9", "Claude Future 9"]], false) },
      );
      const models = (await host.call("providers", "anthropic", "listModels", [credentials])) as unknown as ModelDescriptor[];
      expect(server.requests.map((r) => r.query.get("after_id"))).to.deep.equal([null, "claude-3-haiku-20240307"]);
      expect(server.requests.every((r) => r.headers["x-api-key"] === KEY && r.headers["anthropic-version"] === "2023-06-01")).to.equal(true);
      expect(models.map((m) => m.model)).to.deep.equal(["claude-sonnet-4-20250514", "claude-3-haiku-20240307", "claude-future-9"]);
      expect(models[0]).to.deep.equal({
        model: "claude-sonnet-4-20250514",
        label: "Claude Sonnet 4",
        model_type: "llm",
        features: ["tool-call", "multi-tool-call", "stream-tool-call", "vision"],
        model_properties: { context_size: 200000, mode: "chat", max_output_tokens: 64000 },
        pricing: { input: 3, output: 15, unit: 0.000001, currency: "USD" },
      });
      expect(models[1]?.model_properties.max_output_tokens).to.equal(4096);
      expect(models[2]).to.deep.equal({
        model: "claude-future-9",
        label: "Claude Future 9",
        model_type: "llm",
        features: ["tool-call", "multi-tool-call", "stream-tool-call", "vision"],
        model_properties: { context_size: 200000, mode: "chat" },
      });
    });

    it("falls back to the built-in table when the server has no model list", async () => {
      server.on("GET", "/v1/models", { status: 404, json: errorBody("not_found_error", "Not found") });
      const models = (await host.call("providers", "anthropic", "listModels", [credentials])) as unknown as ModelDescriptor[];
      expect(models.length).to.be.greaterThan(5);
      expect(models.every((m) => m.model_type === "llm" && m.model_properties.context_size === 200000 && m.pricing?.currency === "USD")).to.equal(true);
    });

    it("validates credentials with GET /v1/models", async () => {
      server.on("GET", "/v1/models", { status: 200, json: modelsPage([["claude-sonnet-4-20250514", "Claude Sonnet 4"]], false) });
      expect(await host.call("providers", "anthropic", "validateCredentials", [credentials])).to.equal(null);
      expect(server.last.query.get("limit")).to.equal("1");
    });

    it("reports a rejected key as plugin_credentials_invalid with Anthropic's message", async () => {
      server.on("GET", "/v1/models", { status: 401, json: errorBody("authentication_error", "invalid x-api-key") });
      const error = await rejection(host.call("providers", "anthropic", "validateCredentials", [credentials]));
      expect(error.code).to.equal("plugin_credentials_invalid");
      expect(error.message).to.contain("invalid x-api-key");
    });
  });
});
