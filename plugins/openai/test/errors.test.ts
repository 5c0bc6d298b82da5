import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { PluginError } from "@tessera/sdk";
import { createTestHost } from "@tessera/sdk/testing";
import { codeForStatus, httpError, parseErrorBody, parseRetryAfter, streamError } from "../src/errors.js";
import { chatFailure, pluginDir, useHarness } from "./support/harness.js";
import { sendError, type OpenAIErrorBody } from "./support/openai-server.js";

const CHAT = "/v1/chat/completions";
const hello = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "hi" }] };

/** Error bodies exactly as api.openai.com sends them. */
const OPENAI_ERRORS: Record<number, OpenAIErrorBody> = {
  400: { message: "Unrecognized request argument supplied: foo", type: "invalid_request_error", param: null, code: null },
  401: {
    message: "Incorrect API key provided: sk-test-***********cdef. You can find your API key at https://platform.openai.com/account/api-keys.",
    type: "invalid_request_error",
    param: null,
    code: "invalid_api_key",
  },
  403: { message: "Project `proj_abc` does not have access to model `gpt-4o`", type: "invalid_request_error", param: null, code: "model_not_found" },
  404: { message: "The model `gpt-5o` does not exist or you do not have access to it.", type: "invalid_request_error", param: null, code: "model_not_found" },
  429: {
    message: "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
    type: "requests",
    param: null,
    code: "rate_limit_exceeded",
  },
  500: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null },
};

describe("errors: upstream HTTP failures through the isolate", () => {
  const t = useHarness();

  const cases: [number, string][] = [
    [400, "plugin_invalid_arguments"],
    [401, "plugin_credentials_invalid"],
    [403, "plugin_credentials_invalid"],
    [404, "plugin_not_found"],
    [500, "plugin_upstream_error"],
  ];
  for (const [status, code] of cases) {
    it(`maps ${status} to ${code}, keeping OpenAI's message and error code`, async () => {
      const body = OPENAI_ERRORS[status]!;
      t.server.on("POST", CHAT, (_req, res) => sendError(res, status, body));
      const error = await chatFailure(t.chat(hello));
      expect(error.code).to.equal(code);
      expect(error.message).to.contain(`answered ${status}`).and.contain(body.message);
      if (body.code) expect(error.message).to.contain(`(${body.code})`);
    });
  }

  it("maps 429 to plugin_rate_limited with the Retry-After hint (seconds) in the message", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendError(res, 429, OPENAI_ERRORS[429]!, { "retry-after": "20" }));
    const error = await chatFailure(t.chat(hello));
    expect(error.code).to.equal("plugin_rate_limited");
    expect(error.retryable).to.equal(true);
    expect(error.message).to.contain("Please try again in 20s.").and.contain("[retry after 20000 ms]");
    // retryAfterMs itself does not survive the isolate bridge in this SDK build (see the unit tests below).
  });

  it("prefers retry-after-ms (Azure, OpenAI) over Retry-After", async () => {
    t.server.on("POST", CHAT, (_req, res) => sendError(res, 429, OPENAI_ERRORS[429]!, { "retry-after": "2", "retry-after-ms": "1500" }));
    const error = await chatFailure(t.chat(hello));
    expect(error.message).to.contain("[retry after 1500 ms]");
  });

  it("maps 429 insufficient_quota (no credit left) to plugin_quota_exceeded, which is not retried", async () => {
    t.server.on("POST", CHAT, (_req, res) =>
      sendError(res, 429, {
        message: "You exceeded your current quota, please check your plan and billing details.",
        type: "insufficient_quota",
        code: "insufficient_quota",
      }),
    );
    const error = await chatFailure(t.chat(hello));
    expect(error.code).to.equal("plugin_quota_exceeded");
    expect(error.retryable).to.equal(false);
    expect(error.message).to.contain("You exceeded your current quota");
  });

  it("keeps a plain-text error body (a proxy's 502) as the message", async () => {
    t.server.on("POST", CHAT, (_req, res) => void res.writeHead(502, { "content-type": "text/plain" }).end("upstream connect error or disconnect/reset before headers"));
    const error = await chatFailure(t.chat(hello));
    expect(error.code).to.equal("plugin_upstream_error");
    expect(error.message).to.contain("answered 502 Bad Gateway: upstream connect error or disconnect/reset before headers");
  });

  it("reads Ollama's /v1 error body: a missing model is plugin_not_found with Ollama's words", async () => {
    t.server.on("POST", CHAT, (_req, res) =>
      void res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: 'model "llama9" not found, try pulling it first', type: "api_error", param: null, code: null } })),
    );
    const error = await chatFailure(t.chat({ ...hello, model: "llama9" }, { base_url: t.server.baseUrl }));
    expect(error.code).to.equal("plugin_not_found");
    expect(error.message).to.contain('model "llama9" not found, try pulling it first');
  });

  it("reports a refused connection as plugin_upstream_error naming the host", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const host = await createTestHost({ pluginDir, grants: { hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${port}`] } });
    try {
      const error = await chatFailure(host.chat("openai", hello, { base_url: `http://127.0.0.1:${port}/v1` }));
      expect(error.code).to.equal("plugin_upstream_error");
      expect(error.message).to.contain(`could not reach 127.0.0.1:${port}`).and.contain("ECONNREFUSED");
    } finally {
      await host.close();
    }
  });

  it("reports a base_url host the admin did not grant as plugin_permission_denied", async () => {
    const error = await chatFailure(t.chat(hello, { base_url: "http://127.0.0.1:1/v1" }));
    expect(error.code).to.equal("plugin_permission_denied");
    expect(error.message).to.contain("could not reach 127.0.0.1:1");
  });

  it("rejects a base_url that is not http(s) with plugin_invalid_arguments", async () => {
    const error = await chatFailure(t.chat(hello, { base_url: "ftp://example.com/v1" }));
    expect(error.code).to.equal("plugin_invalid_arguments");
    expect(error.message).to.contain("base_url must be an http:// or https:// URL");
  });
});

describe("errors: mapping functions (plain Node, where PluginError options are visible)", () => {
  const headers = (values: Record<string, string>) => ({
    get: (name: string) => values[name.toLowerCase()] ?? null,
    has: (name: string) => name.toLowerCase() in values,
    forEach: () => undefined,
  });

  it("parses Retry-After as seconds, as an HTTP date, and retry-after-ms first", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter(headers({ "retry-after": "7" }), now)).to.equal(7000);
    expect(parseRetryAfter(headers({ "retry-after": "0.5" }), now)).to.equal(500);
    expect(parseRetryAfter(headers({ "retry-after": "Wed, 01 Jan 2025 00:00:30 GMT" }), now)).to.equal(30_000);
    expect(parseRetryAfter(headers({ "retry-after": "Tue, 31 Dec 2024 00:00:00 GMT" }), now)).to.equal(0);
    expect(parseRetryAfter(headers({ "retry-after": "3", "retry-after-ms": "250.4" }), now)).to.equal(251);
    expect(parseRetryAfter(headers({ "retry-after": "soon" }), now)).to.equal(undefined);
    expect(parseRetryAfter(headers({}), now)).to.equal(undefined);
  });

  it("sets retryAfterMs on plugin_rate_limited errors", () => {
    const error = httpError(429, "Too Many Requests", parseErrorBody(JSON.stringify({ error: OPENAI_ERRORS[429] })), "api.openai.com", 20_000);
    expect(error).to.be.instanceOf(PluginError);
    expect(error.code).to.equal("plugin_rate_limited");
    expect(error.retryAfterMs).to.equal(20_000);
    expect(error.details).to.deep.equal({ status: 429, type: "requests", code: "rate_limit_exceeded", retry_after_ms: 20_000 });
  });

  it("maps statuses: other 4xx to plugin_invalid_arguments, 408 to plugin_timeout, 5xx to plugin_upstream_error", () => {
    expect(codeForStatus(409)).to.equal("plugin_invalid_arguments");
    expect(codeForStatus(422)).to.equal("plugin_invalid_arguments");
    expect(codeForStatus(408)).to.equal("plugin_timeout");
    expect(codeForStatus(503)).to.equal("plugin_upstream_error");
    expect(codeForStatus(504)).to.equal("plugin_upstream_error");
  });

  it("reads the error shapes of OpenAI, Ollama, vLLM and FastAPI servers", () => {
    expect(parseErrorBody(JSON.stringify({ error: OPENAI_ERRORS[401] }))).to.deep.equal({ message: OPENAI_ERRORS[401]!.message, type: "invalid_request_error", code: "invalid_api_key" });
    expect(parseErrorBody('{"error":"model \\"x\\" not found"}')).to.deep.equal({ message: 'model "x" not found' });
    expect(parseErrorBody('{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}')).to.deep.equal({
      message: "The model `x` does not exist.",
      type: "NotFoundError",
      code: "404",
    });
    expect(parseErrorBody('{"detail":"Not Found"}')).to.deep.equal({ message: "Not Found" });
    expect(parseErrorBody("<html>Bad gateway</html>")).to.deep.equal({ message: "<html>Bad gateway</html>" });
  });

  it("maps in-stream error objects by type and code", () => {
    expect(streamError({ message: "m", type: "server_error" }, "h").code).to.equal("plugin_upstream_error");
    expect(streamError({ message: "m", type: "invalid_request_error", code: "context_length_exceeded" }, "h").code).to.equal("plugin_invalid_arguments");
    expect(streamError({ message: "m", type: "tokens", code: "rate_limit_exceeded" }, "h").code).to.equal("plugin_rate_limited");
    expect(streamError({ message: "m", code: 401 }, "h").code).to.equal("plugin_credentials_invalid");
    expect(streamError("plain words", "h").message).to.contain("plain words");
  });
});
