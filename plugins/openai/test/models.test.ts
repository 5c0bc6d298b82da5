import { expect } from "chai";
import type { ModelDescriptor } from "@tessera/sdk";
import { API_KEY, rejection, useHarness } from "./support/harness.js";
import { modelList, sendError, sendJson } from "./support/openai-server.js";

const MODELS = "/v1/models";

describe("listModels through the isolate", () => {
  const t = useHarness();
  const list = async (credentials: Record<string, string>) => (await t.call("listModels", credentials)) as ModelDescriptor[];
  const byId = (models: ModelDescriptor[]) => new Map(models.map((m) => [m.model, m]));

  it("describes the server's models from the built-in table: label, type, features, context, max output, pricing", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendJson(res, 200, modelList(["gpt-4o", "gpt-4o-mini-2024-07-18", "o3-mini", "text-embedding-3-small", "gpt-3.5-turbo-0125"])));
    const models = byId(await list(t.credentials()));
    expect(models.get("gpt-4o")).to.deep.equal({
      model: "gpt-4o",
      label: "GPT-4o",
      model_type: "llm",
      features: ["tool-call", "multi-tool-call", "stream-tool-call", "vision", "structured-output"],
      model_properties: { context_size: 128_000, mode: "chat", max_output_tokens: 16_384 },
      pricing: { input: 2.5, output: 10, unit: 0.000001, currency: "USD" },
    });
    expect(models.get("gpt-4o-mini-2024-07-18")).to.deep.include({ label: "GPT-4o mini (2024-07-18)", model_type: "llm" });
    expect(models.get("gpt-4o-mini-2024-07-18")?.pricing).to.deep.include({ input: 0.15, output: 0.6 });
    expect(models.get("o3-mini")?.features).to.not.include("vision");
    expect(models.get("o3-mini")?.model_properties).to.deep.equal({ context_size: 200_000, mode: "chat", max_output_tokens: 100_000 });
    expect(models.get("gpt-3.5-turbo-0125")?.features).to.deep.equal(["tool-call", "multi-tool-call", "stream-tool-call"]);
    expect(models.get("text-embedding-3-small")).to.deep.equal({
      model: "text-embedding-3-small",
      label: "text-embedding-3-small",
      model_type: "text-embedding",
      model_properties: { context_size: 8_191, dimensions: 1_536 },
      pricing: { input: 0.02, unit: 0.000001, currency: "USD" },
    });
    const [request] = t.server.requests;
    expect(request?.method).to.equal("GET");
    expect(request?.url).to.equal(MODELS);
    expect(request?.headers["authorization"]).to.equal(`Bearer ${API_KEY}`);
  });

  it("lists only what the server serves (no table models it lacks), in the server's order", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendJson(res, 200, modelList(["llama3.1:8b", "nomic-embed-text:latest", "qwen2.5-coder:7b"])));
    const models = await list(t.credentials({ api_key: "" }));
    expect(models.map((m) => m.model)).to.deep.equal(["llama3.1:8b", "nomic-embed-text:latest", "qwen2.5-coder:7b"]);
    expect(t.server.requests[0]?.headers["authorization"]).to.equal(undefined);
  });

  it("gives unknown ids defaults: text-embedding when the id contains 'embed', else a chat llm with tool calls", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendJson(res, 200, modelList(["llama3.1:8b", "nomic-embed-text:latest", "deepseek-reasoner"])));
    const models = byId(await list(t.credentials()));
    expect(models.get("llama3.1:8b")).to.deep.equal({
      model: "llama3.1:8b",
      label: "llama3.1:8b",
      model_type: "llm",
      features: ["tool-call", "stream-tool-call"],
      model_properties: { context_size: 8_192, mode: "chat" },
    });
    expect(models.get("nomic-embed-text:latest")).to.deep.equal({
      model: "nomic-embed-text:latest",
      label: "nomic-embed-text:latest",
      model_type: "text-embedding",
      model_properties: { context_size: 8_192 },
    });
    expect(models.get("deepseek-reasoner")?.features).to.include("agent-thought");
  });

  it("filters out image, speech and moderation models", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendJson(res, 200, modelList(["gpt-4o", "dall-e-3", "whisper-1", "tts-1-hd", "omni-moderation-latest", "text-embedding-3-large"])));
    const models = await list(t.credentials());
    expect(models.map((m) => m.model)).to.deep.equal(["gpt-4o", "text-embedding-3-large"]);
  });

  it("reads context_length (OpenRouter) and max_model_len (vLLM), and OpenRouter's pricing and capabilities", async () => {
    t.server.on("GET", MODELS, (_req, res) =>
      sendJson(res, 200, {
        object: "list",
        data: [
          { id: "meta-llama/Llama-3.1-8B-Instruct", object: "model", owned_by: "vllm", root: "meta-llama/Llama-3.1-8B-Instruct", max_model_len: 32_768 },
          {
            id: "anthropic/claude-3.5-sonnet",
            name: "Anthropic: Claude 3.5 Sonnet",
            context_length: 200_000,
            architecture: { modality: "text+image->text", input_modalities: ["text", "image"], output_modalities: ["text"] },
            pricing: { prompt: "0.000003", completion: "0.000015", request: "0", image: "0.0048" },
            top_provider: { context_length: 200_000, max_completion_tokens: 8_192, is_moderated: true },
            supported_parameters: ["max_tokens", "temperature", "tools", "tool_choice", "stop"],
          },
          { id: "llama-3.3-70b-versatile", object: "model", owned_by: "Meta", active: true, context_window: 131_072 },
        ],
      }),
    );
    const models = byId(await list(t.credentials()));
    expect(models.get("meta-llama/Llama-3.1-8B-Instruct")?.model_properties).to.deep.equal({ context_size: 32_768, mode: "chat" });
    expect(models.get("anthropic/claude-3.5-sonnet")).to.deep.equal({
      model: "anthropic/claude-3.5-sonnet",
      label: "Anthropic: Claude 3.5 Sonnet",
      model_type: "llm",
      features: ["tool-call", "multi-tool-call", "stream-tool-call", "vision"],
      model_properties: { context_size: 200_000, mode: "chat", max_output_tokens: 8_192 },
      pricing: { input: 3, output: 15, unit: 0.000001, currency: "USD" },
    });
    expect(models.get("llama-3.3-70b-versatile")?.model_properties.context_size).to.equal(131_072);
  });

  it("adds the ids of the `models` credential to the server's list, without duplicates", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendJson(res, 200, modelList(["gpt-4o"])));
    const models = await list(t.credentials({ models: "gpt-4o, my-finetune , text-embedding-3-small" }));
    expect(models.map((m) => m.model)).to.deep.equal(["gpt-4o", "my-finetune", "text-embedding-3-small"]);
    expect(models[2]?.model_type).to.equal("text-embedding");
  });

  it("falls back to the `models` credential when the server has no /models endpoint (404)", async () => {
    t.server.on("GET", MODELS, (_req, res) => void res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found"));
    const models = await list(t.credentials({ models: "local-model,embed-small" }));
    expect(models.map((m) => [m.model, m.model_type])).to.deep.equal([
      ["local-model", "llm"],
      ["embed-small", "text-embedding"],
    ]);
  });

  it("fails with the mapped error when /models fails and no `models` are configured", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendError(res, 401, { message: "Incorrect API key provided: sk-bad.", code: "invalid_api_key" }));
    const error = await rejection(t.call("listModels", t.credentials({ api_key: "sk-bad" })));
    expect(error.code).to.equal("plugin_credentials_invalid");
    expect(error.message).to.contain("Incorrect API key provided: sk-bad.");
  });

  it("Azure: lists the deployments named in `models` without a request, described by deployment=model", async () => {
    const models = await list(t.azureCredentials({ models: "prod-chat=gpt-4o, embeddings=text-embedding-3-large, custom-deploy" }));
    expect(t.server.requests).to.have.length(0);
    expect(models.map((m) => [m.model, m.label, m.model_type])).to.deep.equal([
      ["prod-chat", "prod-chat (GPT-4o)", "llm"],
      ["embeddings", "embeddings (text-embedding-3-large)", "text-embedding"],
      ["custom-deploy", "custom-deploy", "llm"],
    ]);
    expect(models[0]?.features).to.include("vision");
  });

  it("Azure: asks for deployment names when `models` is empty", async () => {
    const error = await rejection(t.call("listModels", t.azureCredentials()));
    expect(error.code).to.equal("plugin_invalid_arguments");
    expect(error.message).to.contain("deployment names");
  });
});

describe("validateCredentials through the isolate", () => {
  const t = useHarness();

  it("resolves when GET /models succeeds with the key", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendJson(res, 200, modelList(["gpt-4o"])));
    expect(await t.call("validateCredentials", t.credentials())).to.equal(null);
    expect(t.server.requests.map((r) => [r.method, r.url, r.headers["authorization"]])).to.deep.equal([["GET", MODELS, `Bearer ${API_KEY}`]]);
  });

  it("throws plugin_credentials_invalid with OpenAI's message on 401", async () => {
    t.server.on("GET", MODELS, (_req, res) =>
      sendError(res, 401, {
        message: "Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.",
        code: "invalid_api_key",
      }),
    );
    const error = await rejection(t.call("validateCredentials", t.credentials({ api_key: "sk-wrong" })));
    expect(error.code).to.equal("plugin_credentials_invalid");
    expect(error.message).to.contain("Incorrect API key provided: sk-wrong.");
  });

  it("throws plugin_credentials_invalid on 403 too", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendError(res, 403, { message: "You are not allowed to sample from this model", type: "invalid_request_error" }));
    const error = await rejection(t.call("validateCredentials", t.credentials()));
    expect(error.code).to.equal("plugin_credentials_invalid");
    expect(error.message).to.contain("You are not allowed to sample from this model");
  });

  it("throws the mapped error for other failures (500 → plugin_upstream_error)", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendError(res, 500, { message: "The server had an error", type: "server_error" }));
    const error = await rejection(t.call("validateCredentials", t.credentials()));
    expect(error.code).to.equal("plugin_upstream_error");
  });

  it("on 404 from /models, sends a one-token chat to the first model of `models`", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendError(res, 404, { message: "Not Found" }));
    t.server.on("POST", "/v1/chat/completions", (_req, res) =>
      sendJson(res, 200, { id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "p" }, finish_reason: "length" }] }),
    );
    expect(await t.call("validateCredentials", t.credentials({ models: "my-model, other" }))).to.equal(null);
    const chat = t.server.requestsTo("/v1/chat/completions")[0];
    expect(chat?.body).to.deep.equal({ model: "my-model", messages: [{ role: "user", content: "ping" }], max_tokens: 1 });
    expect(chat?.headers["authorization"]).to.equal(`Bearer ${API_KEY}`);
  });

  it("on 404 from /models, a 401 from the one-token chat is plugin_credentials_invalid", async () => {
    t.server.on("GET", MODELS, (_req, res) => sendError(res, 404, { message: "Not Found" }));
    t.server.on("POST", "/v1/chat/completions", (_req, res) => sendError(res, 401, { message: "Invalid API key", code: "invalid_api_key" }));
    const error = await rejection(t.call("validateCredentials", t.credentials({ models: "my-model" })));
    expect(error.code).to.equal("plugin_credentials_invalid");
    expect(error.message).to.contain("Invalid API key");
  });

  it("on 404 from /models without `models`, reports plugin_not_found (wrong base_url)", async () => {
    const error = await rejection(t.call("validateCredentials", t.credentials({ base_url: `${t.server.origin}/wrong` })));
    expect(error.code).to.equal("plugin_not_found");
    expect(error.message).to.contain("Invalid URL (GET /wrong/models)");
  });

  it("Azure: checks GET /openai/models?api-version with the api-key header", async () => {
    t.server.on("GET", "/openai/models", (_req, res) => sendJson(res, 200, { data: [{ id: "gpt-4o" }] }));
    expect(await t.call("validateCredentials", t.azureCredentials())).to.equal(null);
    const [request] = t.server.requests;
    expect(request?.url).to.equal("/openai/models?api-version=2024-10-21");
    expect(request?.headers["api-key"]).to.equal("azure-key-123");
    expect(request?.headers["authorization"]).to.equal(undefined);
  });
});
