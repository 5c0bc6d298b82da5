import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { PluginError, type EmbedResult, type ModelDescriptor, type RerankResult } from "@tessera/sdk";
import { createTestHost, type TestHost } from "@tessera/sdk/testing";
import { cosine, embed } from "../src/embed.js";

// The built bundle in a V8 isolate with no grants at all: what an install
// without network gets.
const pluginDir = fileURLToPath(new URL("..", import.meta.url));

async function rejection(call: Promise<unknown>): Promise<PluginError> {
  try {
    await call;
  } catch (error) {
    expect(error).to.be.instanceOf(PluginError);
    return error as PluginError;
  }
  throw new Error("expected a rejection");
}

describe("local provider in the isolate test host", () => {
  let host: TestHost;
  const call = (method: string, request: Record<string, unknown>) => host.call("providers", "local", method, [{ credentials: {}, ...request }]);
  const embedIn = async (model: string, input: string[]) => (await call("embed", { model, input })) as unknown as EmbedResult;
  const rerankIn = async (request: Record<string, unknown>) => (await call("rerank", { model: "bm25", ...request })) as unknown as RerankResult;

  before(async () => {
    host = await createTestHost({ pluginDir });
  });

  after(async () => {
    await host?.close();
  });

  it("declares embedding and rerank models, no credentials and no permissions", () => {
    const provider = host.manifest.contributes.modelProviders?.[0];
    expect(provider?.id).to.equal("local");
    expect(provider?.modelTypes).to.deep.equal(["text-embedding", "rerank"]);
    expect(provider?.credentialsSchema).to.deep.equal({ type: "object", properties: {} });
    expect(host.manifest.permissions).to.deep.equal({});
  });

  it("lists its models with honest properties", async () => {
    const models = (await host.call("providers", "local", "listModels", [{}])) as unknown as ModelDescriptor[];
    expect(models).to.deep.equal([
      { model: "hashed-ngrams-384", label: "Lexical hashed n-grams (384-d)", model_type: "text-embedding", model_properties: { context_size: 8192, dimensions: 384 } },
      { model: "hashed-ngrams-768", label: "Lexical hashed n-grams (768-d)", model_type: "text-embedding", model_properties: { context_size: 8192, dimensions: 768 } },
      { model: "bm25", label: "BM25 (lexical)", model_type: "rerank", model_properties: { context_size: 8192 } },
    ]);
    expect(await host.call("providers", "local", "validateCredentials", [{}])).to.equal(null);
  });

  it("embeds a batch in input order, with the same vectors as outside the isolate", async () => {
    const input = ["Résumé of the café meeting", "東京の天気は晴れです", "", "Steps to reset your password"];
    const result = await embedIn("hashed-ngrams-384", input);
    expect(result.vectors).to.have.length(4);
    input.forEach((text, i) => {
      const expected = embed(text, 384).vector;
      result.vectors[i]!.forEach((x, j) => expect(x).to.be.closeTo(expected[j]!, 1e-12));
    });
    expect(result.usage.prompt_tokens).to.equal(5 + 10 + 0 + 5);
    expect(result.vectors[2]!.every((x) => x === 0)).to.equal(true);
    expect(cosine(result.vectors[0]!, (await embedIn("hashed-ngrams-384", ["resume of the cafe meeting"])).vectors[0]!)).to.be.closeTo(1, 1e-12);
  });

  it("embeds with 768 dimensions", async () => {
    const result = await embedIn("hashed-ngrams-768", ["one", "two"]);
    expect(result.vectors.map((v) => v.length)).to.deep.equal([768, 768]);
  });

  it("embeds a large batch within the isolate's CPU budget", async () => {
    const words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split(" ");
    const input = Array.from({ length: 256 }, (_, i) => Array.from({ length: 200 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(" ") + ` doc${i}`);
    const result = await embedIn("hashed-ngrams-384", input);
    expect(result.vectors).to.have.length(256);
  });

  it("rejects unknown models, wrong dimensions and malformed input", async () => {
    expect((await rejection(embedIn("text-embedding-3-small", ["x"]))).code).to.equal("plugin_not_found");
    expect((await rejection(call("embed", { model: "hashed-ngrams-384", input: ["x"], dimensions: 256 }))).code).to.equal("plugin_invalid_arguments");
    expect((await rejection(call("embed", { model: "hashed-ngrams-384", input: "x" }))).code).to.equal("plugin_invalid_arguments");
    expect((await rejection(call("embed", { model: "hashed-ngrams-384", input: ["x", 3] }))).code).to.equal("plugin_invalid_arguments");
    const tooMuch = await rejection(embedIn("hashed-ngrams-384", ["a ".repeat(300_000), "b ".repeat(300_000)]));
    expect(tooMuch.code).to.equal("plugin_invalid_arguments");
    expect(tooMuch.message).to.contain("split it into several requests");
    expect((await rejection(embedIn("hashed-ngrams-384", Array.from({ length: 513 }, () => "x")))).code).to.equal("plugin_invalid_arguments");
    expect((await rejection(rerankIn({ model: "rerank-v3", query: "q", documents: [] }))).code).to.equal("plugin_not_found");
    expect((await rejection(rerankIn({ query: "q", documents: ["a"], top_n: 0 }))).code).to.equal("plugin_invalid_arguments");
  });

  it("reranks with BM25, best first, honouring top_n and score_threshold", async () => {
    const documents = ["the cat sat on the mat", "the dog sat", "cats and dogs"];
    expect(await rerankIn({ query: "cat sat", documents })).to.deep.equal({
      results: [
        { index: 0, relevance_score: 1 },
        { index: 1, relevance_score: (Math.log(1.6) * (2.2 / 1.975)) / ((Math.log(8 / 3) + Math.log(1.6)) * (2.2 / 2.65)) },
        { index: 2, relevance_score: 0 },
      ],
      usage: { prompt_tokens: 14 },
    });
    expect((await rerankIn({ query: "cat sat", documents, top_n: 2 })).results.map((r) => r.index)).to.deep.equal([0, 1]);
    expect((await rerankIn({ query: "cat sat", documents, score_threshold: 0.5 })).results.map((r) => r.index)).to.deep.equal([0]);
  });

  it("reranks CJK and accented text", async () => {
    const { results } = await rerankIn({ query: "Café à Paris", documents: ["東京のカフェ", "Le meilleur cafe de Paris", "Paris en été"] });
    expect(results.map((r) => r.index)).to.deep.equal([1, 2, 0]);
    const cjk = await rerankIn({ query: "東京 天気", documents: ["大阪の天気", "東京の天気予報", "ロンドンの歴史"] });
    expect(cjk.results.map((r) => r.index)).to.deep.equal([1, 0, 2]);
  });

  it("has no chat model: chat fails with plugin_not_supported", async () => {
    const error = await rejection((async () => {
      for await (const _ of host.chat("local", { model: "anything", messages: [{ role: "user", content: "hi" }] }, {})) {
        // nothing arrives
      }
    })());
    expect(error.code).to.equal("plugin_not_supported");
    expect(error.message).to.contain("the local provider has no chat model; configure OpenAI, Anthropic or a local server such as Ollama");
  });
});
