import { expect } from "chai";
import { collectChat, type ChatChunk } from "@tessera/sdk";
import { API_KEY, chatFailure, drain, useHarness } from "./support/harness.js";
import { chunk, DONE, frame, sendError, sendJson, sendSse, textFrames, toolCallFrames, usageChunk } from "./support/openai-server.js";

const CHAT = "/v1/chat/completions";
const hello = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "Say hello" }] };

describe("chat: streaming through the isolate", () => {
  const t = useHarness();

  it("streams text deltas as they arrive, with finish_reason and usage on the last chunk", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, textFrames(["Hello", ",", " world"], [9, 3])));
    const { chunks, error } = await drain(t.chat(hello));
    expect(error).to.equal(undefined);
    expect(chunks).to.deep.equal([
      { delta: { content: "Hello" } },
      { delta: { content: "," } },
      { delta: { content: " world" } },
      { delta: {}, finish_reason: "stop", usage: { prompt_tokens: 9, completion_tokens: 3 } },
    ]);
  });

  it("yields each delta before the next one is sent (no buffering of the stream)", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    t.server.on("POST", CHAT, async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(frame(chunk({ role: "assistant", content: "" })) + frame(chunk({ content: "first" })));
      await gate;
      res.write(frame(chunk({ content: " second" })));
      res.end(frame(chunk({}, "stop")) + DONE);
    });
    const iterator = t.chat(hello)[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).to.deep.equal({ delta: { content: "first" } });
    release();
    const rest: ChatChunk[] = [];
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) rest.push(step.value);
    expect(rest.map((c) => c.delta.content ?? c.finish_reason)).to.deep.equal([" second", "stop"]);
  });

  it("sends the exact OpenAI request: path, Bearer key, organization, stream with include_usage, every mapped parameter", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, textFrames(["ok"])));
    await drain(
      t.chat(
        {
          model: "gpt-4o",
          messages: [
            { role: "system", content: "Be brief." },
            { role: "user", content: "Weather in Paris?", name: "ada" },
            { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
            { role: "tool", tool_call_id: "call_1", content: '{"temp_c":18}' },
          ],
          temperature: 0.2,
          top_p: 0.9,
          max_tokens: 256,
          stop: ["\n\n", "END"],
          user: "user-42",
        },
        t.credentials({ organization: "org-abc" }),
      ),
    );
    const [request] = t.server.requests;
    expect(request?.method).to.equal("POST");
    expect(request?.url).to.equal(CHAT);
    expect(request?.headers["authorization"]).to.equal(`Bearer ${API_KEY}`);
    expect(request?.headers["openai-organization"]).to.equal("org-abc");
    expect(request?.headers["content-type"]).to.equal("application/json");
    expect(request?.headers["accept"]).to.equal("text/event-stream");
    expect(request?.headers["api-key"]).to.equal(undefined);
    expect(request?.body).to.deep.equal({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?", name: "ada" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: '{"temp_c":18}' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 256,
      stop: ["\n\n", "END"],
      user: "user-42",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("sends no Authorization header when api_key is empty (local servers such as Ollama)", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, textFrames(["hi"])));
    await drain(t.chat({ ...hello, model: "llama3.1:8b" }, { base_url: t.server.baseUrl, api_key: "" }));
    expect(t.server.requests[0]?.headers["authorization"]).to.equal(undefined);
    expect(t.server.requests[0]?.body.model).to.equal("llama3.1:8b");
  });

  it("assembles parallel tool calls whose arguments arrive split over many chunks", async () => {
    const calls = [
      { id: "call_Wm1", name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' },
      { id: "call_Xq2", name: "get_time", arguments: '{"timezone":"Europe/Paris"}' },
    ];
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, toolCallFrames(calls, 4)));
    const tools = [
      { type: "function" as const, function: { name: "get_weather", description: "Current weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true } },
      { type: "function" as const, function: { name: "get_time", parameters: { type: "object", properties: {} } } },
    ];
    const completion = await collectChat(t.chat({ ...hello, tools, tool_choice: "auto" }));
    expect(completion.finish_reason).to.equal("tool_calls");
    expect(completion.usage).to.deep.equal({ prompt_tokens: 80, completion_tokens: 30 });
    expect(completion.message).to.deep.equal({
      role: "assistant",
      content: null,
      tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })),
    });
    const body = t.server.requests[0]?.body;
    expect(body.tools).to.deep.equal(tools);
    expect(body.tool_choice).to.equal("auto");
  });

  it("passes tool-call deltas through as they arrive: id and name first, then argument fragments by index", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, toolCallFrames([{ id: "call_1", name: "lookup", arguments: '{"q":"x"}' }], 5)));
    const { chunks } = await drain(t.chat({ ...hello, tool_choice: { type: "function", function: { name: "lookup" } } }));
    expect(chunks.slice(0, 3)).to.deep.equal([
      { delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "lookup" } }] } },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] } },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] } },
    ]);
    expect(t.server.requests[0]?.body.tool_choice).to.deep.equal({ type: "function", function: { name: "lookup" } });
  });

  it("keeps two tool calls apart when a server reuses index 0 for the second call (new id)", async () => {
    t.server.on("POST", CHAT, (_req, res) =>
      sendSse(res, [
        frame(chunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "f", arguments: '{"n":1}' } }] })),
        frame(chunk({ tool_calls: [{ index: 0, id: "call_b", type: "function", function: { name: "g", arguments: '{"n":2}' } }] })),
        frame(chunk({}, "tool_calls")),
        DONE,
      ]),
    );
    const completion = await collectChat(t.chat(hello));
    expect(completion.message.tool_calls?.map((c) => [c.id, c.function.name, c.function.arguments])).to.deep.equal([
      ["call_a", "f", '{"n":1}'],
      ["call_b", "g", '{"n":2}'],
    ]);
  });

  it("sends image_url content parts (vision) exactly, with detail", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, textFrames(["A cat."])));
    const content = [
      { type: "text" as const, text: "What is in this image?" },
      { type: "image_url" as const, image_url: { url: "https://example.com/cat.png", detail: "high" as const } },
      { type: "image_url" as const, image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
    ];
    await drain(t.chat({ model: "gpt-4o", messages: [{ role: "user", content }] }));
    expect(t.server.requests[0]?.body.messages).to.deep.equal([{ role: "user", content }]);
  });

  it("sends response_format json_object for JSON mode", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, textFrames(['{"ok":', "true}"])));
    const completion = await collectChat(t.chat({ ...hello, response_format: { type: "json_object" } }));
    expect(t.server.requests[0]?.body.response_format).to.deep.equal({ type: "json_object" });
    expect(JSON.parse(completion.message.content ?? "")).to.deep.equal({ ok: true });
  });

  it("sends response_format json_schema with its name, schema and strict flag, and omits type text", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, textFrames(["{}"])));
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"], additionalProperties: false };
    await drain(t.chat({ ...hello, response_format: { type: "json_schema", json_schema: { name: "answer", schema, strict: true } } }));
    await drain(t.chat({ ...hello, response_format: { type: "text" } }));
    expect(t.server.requests[0]?.body.response_format).to.deep.equal({ type: "json_schema", json_schema: { name: "answer", schema, strict: true } });
    expect(t.server.requests[1]?.body).to.not.have.property("response_format");
  });

  it("sends max_completion_tokens instead of max_tokens to o-series models", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, textFrames(["ok"])));
    await drain(t.chat({ ...hello, model: "o3-mini", max_tokens: 500 }));
    await drain(t.chat({ ...hello, model: "gpt-4.1", max_tokens: 500 }));
    expect(t.server.requests[0]?.body).to.include({ max_completion_tokens: 500 }).and.not.have.property("max_tokens");
    expect(t.server.requests[1]?.body).to.include({ max_tokens: 500 }).and.not.have.property("max_completion_tokens");
  });

  it("decodes a reply written in 1-3 byte slices that split multi-byte UTF-8 characters and CRLFs", async () => {
    const pieces = ["Grüße ", "👋🏽 — ", "你好, ", "naïve café ✓"];
    const frames = textFrames(pieces).map((f) => f.replace(/\n/g, "\r\n"));
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, frames, { sliceBytes: [1, 2, 3], delayMs: 1 }));
    const completion = await collectChat(t.chat(hello));
    expect(completion.message.content).to.equal(pieces.join(""));
    expect(completion.finish_reason).to.equal("stop");
  });

  it("parses comments, multi-line data fields, CR-only line endings and a final event without a blank line", async () => {
    const raw = [
      ": ping\n\n",
      `data: ${JSON.stringify(chunk({ content: "one" }))}\n\n`,
      // one event whose JSON spans two data lines (joined with "\n", still valid JSON)
      `data: {"choices":[{"index":0,\ndata: "delta":{"content":" two"},"finish_reason":null}]}\n\n`,
      `: OPENROUTER PROCESSING\r\r`,
      `data: ${JSON.stringify(chunk({}, "stop"))}\r\r`,
      "data: [DONE]\n",
    ];
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, raw));
    const { chunks, error } = await drain(t.chat(hello));
    expect(error).to.equal(undefined);
    expect(chunks).to.deep.equal([{ delta: { content: "one" } }, { delta: { content: " two" } }, { delta: {}, finish_reason: "stop" }]);
  });

  it("streams DeepSeek reasoning_content deltas before the answer", async () => {
    t.server.on("POST", CHAT, (_req, res) =>
      sendSse(res, [
        frame(chunk({ role: "assistant", content: null, reasoning_content: "" }, null, "deepseek-reasoner")),
        frame(chunk({ content: null, reasoning_content: "9.11 < 9.9 because" }, null, "deepseek-reasoner")),
        frame(chunk({ content: null, reasoning_content: " 0.11 < 0.9." }, null, "deepseek-reasoner")),
        frame(chunk({ content: "9.9 is larger.", reasoning_content: null }, null, "deepseek-reasoner")),
        frame({ ...chunk({ content: "" }, "stop", "deepseek-reasoner"), usage: { prompt_tokens: 14, completion_tokens: 40, total_tokens: 54 } }),
        DONE,
      ]),
    );
    const { chunks } = await drain(t.chat({ ...hello, model: "deepseek-reasoner" }));
    expect(chunks[0]).to.deep.equal({ delta: { reasoning_content: "9.11 < 9.9 because" } });
    const completion = await collectChat(t.chat({ ...hello, model: "deepseek-reasoner" }));
    expect(completion.reasoning_content).to.equal("9.11 < 9.9 because 0.11 < 0.9.");
    expect(completion.message.content).to.equal("9.9 is larger.");
    expect(completion.usage).to.deep.equal({ prompt_tokens: 14, completion_tokens: 40 });
  });

  it("reports the usage chunk (empty choices) even when it is the only thing after the text", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, [frame(chunk({ content: "x" })), frame(chunk({}, "length")), frame(usageChunk(5, 1)), DONE]));
    const { chunks } = await drain(t.chat(hello));
    expect(chunks.at(-1)).to.deep.equal({ delta: {}, finish_reason: "length", usage: { prompt_tokens: 5, completion_tokens: 1 } });
  });

  it("accepts a whole JSON completion from a server that ignores stream: true", async () => {
    t.server.on("POST", CHAT, (_req, res) =>
      sendJson(res, 200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: "Hi there" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      }),
    );
    const { chunks } = await drain(t.chat(hello));
    expect(chunks).to.deep.equal([{ delta: { content: "Hi there" }, finish_reason: "stop", usage: { prompt_tokens: 3, completion_tokens: 2 } }]);
  });

  it("accepts a stream that ends after its finish_reason without [DONE]", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, [frame(chunk({ content: "done" })), frame(chunk({}, "stop"))]));
    const { chunks, error } = await drain(t.chat(hello));
    expect(error).to.equal(undefined);
    expect(chunks.at(-1)?.finish_reason).to.equal("stop");
  });
});

describe("chat: broken streams", () => {
  const t = useHarness();

  it("fails with plugin_upstream_error naming the malformed chunk, after yielding the good ones", async () => {
    t.server.on("POST", CHAT, (_req, res) =>
      sendSse(res, [frame(chunk({ content: "partial" })), 'data: {"choices":[{"index":0,"delta":{"content":"x"}\n\n', frame(chunk({}, "stop")), DONE]),
    );
    const { chunks, error } = await drain(t.chat(hello));
    expect(chunks).to.deep.equal([{ delta: { content: "partial" } }]);
    expect(error?.code).to.equal("plugin_upstream_error");
    expect(error?.message).to.contain("malformed stream event (not JSON)").and.contain('{"choices":[{"index":0,"delta":{"content":"x"}');
  });

  it("fails with 'stream ended early' when the connection is cut mid-stream", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, [frame(chunk({ role: "assistant", content: "" })), frame(chunk({ content: "Once upon" }))], { then: "destroy", delayMs: 5 }));
    const { chunks, error } = await drain(t.chat(hello));
    expect(chunks).to.deep.equal([{ delta: { content: "Once upon" } }]);
    expect(error?.code).to.equal("plugin_upstream_error");
    expect(error?.message).to.contain("stream ended early");
  });

  it("fails with 'stream ended early' when the body ends cleanly without [DONE] or a finish_reason", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, [frame(chunk({ content: "Once upon" })), 'data: {"choices":[{"ind']));
    const { chunks, error } = await drain(t.chat(hello));
    expect(chunks).to.deep.equal([{ delta: { content: "Once upon" } }]);
    expect(error?.code).to.equal("plugin_upstream_error");
    expect(error?.message).to.contain("stream ended early");
  });

  it("maps an error object sent inside the stream (server_error) to plugin_upstream_error with its message", async () => {
    t.server.on("POST", CHAT, (_req, res) =>
      sendSse(res, [
        frame(chunk({ content: "Hel" })),
        frame({ error: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null } }),
      ]),
    );
    const error = await chatFailure(t.chat(hello));
    expect(error.code).to.equal("plugin_upstream_error");
    expect(error.message).to.contain("The server had an error while processing your request.");
  });

  it("maps an in-stream error with an HTTP-like code (OpenRouter) by that code", async () => {
    t.server.on("POST", CHAT, (_req, res) =>
      sendSse(res, [": OPENROUTER PROCESSING\n\n", frame({ id: "gen-1", object: "chat.completion.chunk", error: { code: 429, message: "Provider returned error: rate limited" }, choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }] })]),
    );
    const error = await chatFailure(t.chat(hello));
    expect(error.code).to.equal("plugin_rate_limited");
    expect(error.message).to.contain("Provider returned error: rate limited");
  });

  it("stops reading and closes the connection when the consumer stops mid-stream", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendSse(res, [frame(chunk({ role: "assistant", content: "" })), frame(chunk({ content: "tick" }))], { then: "hold" }));
    const received: ChatChunk[] = [];
    for await (const c of t.chat(hello)) {
      received.push(c);
      break;
    }
    expect(received).to.deep.equal([{ delta: { content: "tick" } }]);
    const closed = await Promise.race([
      t.server.requests[0]!.closed,
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 5000)),
    ]);
    expect(closed).to.deep.equal({ responseComplete: false });
  });

  it("fails with plugin_invalid_arguments before any request for a message with an unknown role", async () => {
    const error = await chatFailure(t.chat({ model: "gpt-4o", messages: [{ role: "narrator", content: "x" } as never] }));
    expect(error.code).to.equal("plugin_invalid_arguments");
    expect(error.message).to.contain("messages[0].role");
    expect(t.server.requests).to.have.length(0);
  });

  it("maps a 400 answer to the chat request to plugin_invalid_arguments with OpenAI's message", async () => {
    t.server.on("POST", CHAT, (_req, res) =>
      sendError(res, 400, { message: "Invalid 'messages[0].content': string too long.", type: "invalid_request_error", param: "messages[0].content", code: "string_above_max_length" }),
    );
    const error = await chatFailure(t.chat(hello));
    expect(error.code).to.equal("plugin_invalid_arguments");
    expect(error.message).to.contain("Invalid 'messages[0].content': string too long.").and.contain("string_above_max_length");
  });
});
