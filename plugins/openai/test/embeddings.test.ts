import { expect } from "chai";
import type { EmbedResult } from "@tessera/sdk";
import { API_KEY, rejection, useHarness } from "./support/harness.js";
import { embeddingList, sendError, sendJson } from "./support/openai-server.js";

const EMBEDDINGS = "/v1/embeddings";

describe("embed through the isolate", () => {
  const t = useHarness();
  const embed = async (request: Record<string, unknown>, credentials = t.credentials()) =>
    (await t.call("embed", { ...request, credentials })) as EmbedResult;

  it("returns vectors in input order even when the server answers out of order, with usage", async () => {
    const vectors = [
      [0.1, 0.2, 0.3],
      [0.4, 0.5, 0.6],
      [0.7, 0.8, 0.9],
    ];
    t.server.on("POST", EMBEDDINGS, (_req, res) => sendJson(res, 200, embeddingList(vectors, 11, [2, 0, 1])));
    const result = await embed({ model: "text-embedding-3-small", input: ["alpha", "beta", "gamma"] });
    expect(result).to.deep.equal({ vectors, usage: { prompt_tokens: 11 } });
    const [request] = t.server.requests;
    expect(request?.url).to.equal(EMBEDDINGS);
    expect(request?.headers["authorization"]).to.equal(`Bearer ${API_KEY}`);
    expect(request?.body).to.deep.equal({ model: "text-embedding-3-small", input: ["alpha", "beta", "gamma"] });
  });

  it("sends dimensions for models that can shorten their vectors", async () => {
    t.server.on("POST", EMBEDDINGS, (_req, res) => sendJson(res, 200, embeddingList([[1, 0]], 2)));
    await embed({ model: "text-embedding-3-large", input: ["x"], dimensions: 256, input_type: "query" });
    expect(t.server.requests[0]?.body).to.deep.equal({ model: "text-embedding-3-large", input: ["x"], dimensions: 256 });
  });

  it("splits more than 2048 inputs into batches of at most 2048, keeping order and summing usage", async () => {
    const input = Array.from({ length: 2050 }, (_, i) => `text ${i}`);
    t.server.on("POST", EMBEDDINGS, (req, res) => {
      const texts = req.body.input as string[];
      // vector = [the number in the text]: lets the test check order across batches
      const vectors = texts.map((text) => [Number(text.slice(5))]);
      sendJson(res, 200, embeddingList(vectors, texts.length, [...vectors.keys()].reverse()));
    });
    const result = await embed({ model: "text-embedding-3-small", input });
    expect(t.server.requests.map((r) => (r.body.input as string[]).length)).to.deep.equal([2048, 2]);
    expect(t.server.requests[1]?.body.input).to.deep.equal(["text 2048", "text 2049"]);
    expect(result.vectors).to.have.length(2050);
    expect(result.vectors.every((v, i) => v[0] === i)).to.equal(true);
    expect(result.usage).to.deep.equal({ prompt_tokens: 2050 });
  });

  it("makes no request for an empty input", async () => {
    expect(await embed({ model: "text-embedding-3-small", input: [] })).to.deep.equal({ vectors: [], usage: { prompt_tokens: 0 } });
    expect(t.server.requests).to.have.length(0);
  });

  it("decodes base64 (float32 little-endian) embeddings", async () => {
    const floats = new Float32Array([0.5, -1.25, 3]);
    const base64 = Buffer.from(floats.buffer).toString("base64");
    t.server.on("POST", EMBEDDINGS, (_req, res) => sendJson(res, 200, { object: "list", data: [{ object: "embedding", index: 0, embedding: base64 }], usage: { prompt_tokens: 1, total_tokens: 1 } }));
    expect((await embed({ model: "nomic-embed-text", input: ["x"] })).vectors).to.deep.equal([[0.5, -1.25, 3]]);
  });

  it("fails with plugin_upstream_error when the server returns fewer vectors than inputs", async () => {
    t.server.on("POST", EMBEDDINGS, (_req, res) => sendJson(res, 200, embeddingList([[1]], 1)));
    const error = await rejection(t.call("embed", { model: "m", input: ["a", "b"], credentials: t.credentials() }));
    expect(error.code).to.equal("plugin_upstream_error");
    expect(error.message).to.contain("returned 1 embeddings for 2 inputs");
  });

  it("maps an error answer (400 input too long) with OpenAI's message", async () => {
    t.server.on("POST", EMBEDDINGS, (_req, res) =>
      sendError(res, 400, {
        message: "This model's maximum context length is 8192 tokens, however you requested 9000 tokens in the input.",
        type: "invalid_request_error",
      }),
    );
    const error = await rejection(t.call("embed", { model: "text-embedding-3-small", input: ["long"], credentials: t.credentials() }));
    expect(error.code).to.equal("plugin_invalid_arguments");
    expect(error.message).to.contain("maximum context length is 8192 tokens");
  });
});
