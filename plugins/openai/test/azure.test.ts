import { expect } from "chai";
import { collectChat, type EmbedResult } from "@tessera/sdk";
import { chatFailure, useHarness } from "./support/harness.js";
import { embeddingList, sendError, sendJson, sendSse, textFrames } from "./support/openai-server.js";

describe("Azure OpenAI request shape", () => {
  const t = useHarness();
  const hello = { model: "prod-gpt4o", messages: [{ role: "user" as const, content: "hi" }], max_tokens: 50 };

  it("posts the chat to /openai/deployments/{deployment}/chat/completions?api-version with the api-key header", async () => {
    t.server.on("POST", "/openai/deployments/prod-gpt4o/chat/completions", (_req, res) => sendSse(res, textFrames(["Hello from Azure"])));
    const completion = await collectChat(t.chat(hello, t.azureCredentials()));
    expect(completion.message.content).to.equal("Hello from Azure");
    const [request] = t.server.requests;
    expect(request?.method).to.equal("POST");
    expect(request?.url).to.equal("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21");
    expect(request?.headers["api-key"]).to.equal("azure-key-123");
    expect(request?.headers["authorization"]).to.equal(undefined);
    expect(request?.body).to.deep.equal({
      model: "prod-gpt4o",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 50,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("uses the configured api_version, strips a trailing /openai/ from base_url and escapes the deployment name", async () => {
    t.server.on("POST", "/openai/deployments/my%20deploy/chat/completions", (_req, res) => sendSse(res, textFrames(["ok"])));
    await collectChat(t.chat({ ...hello, model: "my deploy" }, t.azureCredentials({ base_url: `${t.server.origin}/openai/`, api_version: "2025-01-01-preview" })));
    expect(t.server.requests[0]?.url).to.equal("/openai/deployments/my%20deploy/chat/completions?api-version=2025-01-01-preview");
  });

  it("sends max_completion_tokens to a deployment declared as an o-series model (deployment=model)", async () => {
    t.server.on("POST", "/openai/deployments/reasoner/chat/completions", (_req, res) => sendSse(res, textFrames(["ok"])));
    await collectChat(t.chat({ ...hello, model: "reasoner" }, t.azureCredentials({ models: "reasoner=o4-mini" })));
    expect(t.server.requests[0]?.body).to.include({ max_completion_tokens: 50 }).and.not.have.property("max_tokens");
  });

  it("posts embeddings to /openai/deployments/{deployment}/embeddings?api-version", async () => {
    t.server.on("POST", "/openai/deployments/embed-large/embeddings", (_req, res) => sendJson(res, 200, embeddingList([[1, 2], [3, 4]], 4)));
    const result = (await t.call("embed", { model: "embed-large", input: ["a", "b"], credentials: t.azureCredentials() })) as EmbedResult;
    expect(result.vectors).to.deep.equal([[1, 2], [3, 4]]);
    const [request] = t.server.requests;
    expect(request?.url).to.equal("/openai/deployments/embed-large/embeddings?api-version=2024-10-21");
    expect(request?.headers["api-key"]).to.equal("azure-key-123");
  });

  it("maps Azure's 404 DeploymentNotFound to plugin_not_found with Azure's message", async () => {
    t.server.on("POST", "/openai/deployments/missing/chat/completions", (_req, res) =>
      sendJson(res, 404, { error: { code: "DeploymentNotFound", message: "The API deployment for this resource does not exist." } }),
    );
    const error = await chatFailure(t.chat({ ...hello, model: "missing" }, t.azureCredentials()));
    expect(error.code).to.equal("plugin_not_found");
    expect(error.message).to.contain("The API deployment for this resource does not exist.").and.contain("DeploymentNotFound");
  });

  it("maps Azure's 429 with retry-after-ms to plugin_rate_limited", async () => {
    t.server.on("POST", "/openai/deployments/prod-gpt4o/chat/completions", (_req, res) =>
      sendError(res, 429, { message: "Requests to the ChatCompletions_Create Operation have exceeded the token rate limit.", code: "429" }, { "retry-after": "1", "retry-after-ms": "800" }),
    );
    const error = await chatFailure(t.chat(hello, t.azureCredentials()));
    expect(error.code).to.equal("plugin_rate_limited");
    expect(error.message).to.contain("exceeded the token rate limit").and.contain("[retry after 800 ms]");
  });

  it("refuses api_type azure without an Azure base_url", async () => {
    const error = await chatFailure(t.chat(hello, { api_type: "azure", api_key: "k" }));
    expect(error.code).to.equal("plugin_invalid_arguments");
    expect(error.message).to.contain("Azure OpenAI endpoint");
    expect(t.server.requests).to.have.length(0);
  });
});
