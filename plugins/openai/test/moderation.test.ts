import { expect } from "chai";
import type { ModelDescriptor, ModerateResult, PluginContext } from "@tessera/sdk";
import { describeModel, listModels } from "../src/models.js";
import { API_KEY, rejection, useHarness } from "./support/harness.js";
import { modelList, sendError, sendJson } from "./support/openai-server.js";

const MODERATIONS = "/v1/moderations";

/** OpenAI's answer for `input`: flagged (violence) when the text contains "kill". */
function moderationAnswer(model: string, input: readonly string[]): Record<string, unknown> {
  return {
    id: "modr-0123",
    model,
    results: input.map((text) => {
      const violent = /kill/i.test(text);
      return {
        flagged: violent,
        categories: { harassment: false, violence: violent, "self-harm": false },
        category_scores: { harassment: 0.0001, violence: violent ? 0.97 : 0.0002, "self-harm": 0.00001 },
        category_applied_input_types: { harassment: ["text"], violence: ["text"], "self-harm": ["text"] },
      };
    }),
  };
}

describe("moderate through the isolate", () => {
  const t = useHarness();
  const moderate = async (request: Record<string, unknown>, credentials = t.credentials()) =>
    (await t.call("moderate", { ...request, credentials })) as ModerateResult;

  it("posts {model, input} to /moderations and returns one verdict per input, in order", async () => {
    t.server.on("POST", MODERATIONS, (req, res) => sendJson(res, 200, moderationAnswer(req.body.model, req.body.input)));
    const result = await moderate({ model: "omni-moderation-latest", input: ["hello", "I will kill you"] });
    expect(result.results).to.have.length(2);
    expect(result.results[0]).to.deep.equal({
      flagged: false,
      categories: { harassment: false, violence: false, "self-harm": false },
      category_scores: { harassment: 0.0001, violence: 0.0002, "self-harm": 0.00001 },
    });
    expect(result.results[1]).to.deep.include({ flagged: true });
    expect(result.results[1]?.categories).to.include({ violence: true });
    const [request] = t.server.requests;
    expect(request?.method).to.equal("POST");
    expect(request?.url).to.equal(MODERATIONS);
    expect(request?.headers["authorization"]).to.equal(`Bearer ${API_KEY}`);
    expect(request?.headers["content-type"]).to.equal("application/json");
    expect(request?.body).to.deep.equal({ model: "omni-moderation-latest", input: ["hello", "I will kill you"] });
  });

  it("accepts results without category_scores (older compatible servers)", async () => {
    t.server.on("POST", MODERATIONS, (_req, res) => sendJson(res, 200, { id: "modr-1", model: "text-moderation-latest", results: [{ flagged: false, categories: { hate: false } }] }));
    expect((await moderate({ model: "text-moderation-latest", input: ["hi"] })).results).to.deep.equal([{ flagged: false, categories: { hate: false } }]);
  });

  it("makes no request for an empty input", async () => {
    expect(await moderate({ model: "omni-moderation-latest", input: [] })).to.deep.equal({ results: [] });
    expect(t.server.requests).to.have.length(0);
  });

  it("fails with plugin_upstream_error when the server returns fewer results than inputs", async () => {
    t.server.on("POST", MODERATIONS, (_req, res) => sendJson(res, 200, moderationAnswer("omni-moderation-latest", ["a"])));
    const error = await rejection(t.call("moderate", { model: "omni-moderation-latest", input: ["a", "b"], credentials: t.credentials() }));
    expect(error.code).to.equal("plugin_upstream_error");
    expect(error.message).to.contain("returned 1 moderation results for 2 inputs");
  });

  it("maps error answers like the other methods: 400 invalid model, 401 bad key, 429 rate limit, 500", async () => {
    t.server.on(
      "POST",
      MODERATIONS,
      (_req, res) => sendError(res, 400, { message: "Invalid value for 'model' = no-such-model.", type: "invalid_request_error", param: "model" }),
      (_req, res) => sendError(res, 401, { message: "Incorrect API key provided: sk-wrong.", code: "invalid_api_key" }),
      (_req, res) => sendError(res, 429, { message: "Rate limit reached for omni-moderation-latest", type: "requests", code: "rate_limit_exceeded" }, { "retry-after": "2" }),
      (_req, res) => sendError(res, 500, { message: "The server had an error while processing your request.", type: "server_error" }),
    );
    const call = () => rejection(t.call("moderate", { model: "omni-moderation-latest", input: ["x"], credentials: t.credentials() }));
    const invalid = await call();
    expect(invalid.code).to.equal("plugin_invalid_arguments");
    expect(invalid.message).to.contain("Invalid value for 'model'");
    expect((await call()).code).to.equal("plugin_credentials_invalid");
    const limited = await call();
    expect(limited.code).to.equal("plugin_rate_limited");
    expect(limited.message).to.contain("[retry after 2000 ms]");
    const failed = await call();
    expect(failed.code).to.equal("plugin_upstream_error");
    expect(failed.message).to.contain("The server had an error");
  });

  it("rejects input that is not a list of strings, before any request", async () => {
    const error = await rejection(t.call("moderate", { model: "omni-moderation-latest", input: "text", credentials: t.credentials() }));
    expect(error.code).to.equal("plugin_invalid_arguments");
    expect(t.server.requests).to.have.length(0);
  });

  it("answers plugin_not_supported for Azure (no moderation endpoint), without a request", async () => {
    const error = await rejection(t.call("moderate", { model: "omni-moderation-latest", input: ["x"], credentials: t.azureCredentials() }));
    expect(error.code).to.equal("plugin_not_supported");
    expect(t.server.requests).to.have.length(0);
  });

  it("describes a moderation model named in the `models` credential as model_type moderation", async () => {
    t.server.on("GET", "/v1/models", (_req, res) => sendJson(res, 200, modelList(["gpt-4o-mini"])));
    const models = (await t.call("listModels", t.credentials({ models: "omni-moderation-latest" }))) as ModelDescriptor[];
    expect(models.find((m) => m.model === "omni-moderation-latest")).to.deep.equal({
      model: "omni-moderation-latest",
      label: "omni-moderation-latest",
      model_type: "moderation",
      model_properties: { context_size: 32_768 },
      pricing: { input: 0, unit: 0.000001, currency: "USD" },
    });
  });
});

describe("moderation models in the model table", () => {
  it("knows omni-moderation-latest and text-moderation-latest as moderation models", () => {
    expect(describeModel("omni-moderation-latest").model_type).to.equal("moderation");
    expect(describeModel("text-moderation-latest").model_type).to.equal("moderation");
  });

  it("keeps OpenAI's moderation models in api.openai.com's list, and still drops unknown ones", async () => {
    const served = modelList(["gpt-4o", "omni-moderation-latest", "omni-moderation-2024-09-26", "text-moderation-latest", "dall-e-3"]);
    const ctx = { fetch: async () => new Response(JSON.stringify(served), { status: 200, headers: { "content-type": "application/json" } }) } as unknown as PluginContext;
    const models = await listModels({ api_key: "sk-x" }, ctx);
    expect(models.map((m) => [m.model, m.model_type])).to.deep.equal([
      ["gpt-4o", "llm"],
      ["omni-moderation-latest", "moderation"],
      ["text-moderation-latest", "moderation"],
    ]);
  });
});
