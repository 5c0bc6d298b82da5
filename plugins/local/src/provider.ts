/**
 * The `local` model provider: embeddings and reranking computed inside the
 * plugin, with no network and no credentials. It has no chat model.
 *
 * @module
 */

import { Type } from "@sinclair/typebox";
import { defineModelProvider, PluginError, type ChatChunk, type EmbedResult, type RerankResult } from "@tessera/sdk";
import { rank } from "./bm25.js";
import { embed } from "./embed.js";
import { BM25_MODEL, EMBEDDING_DIMENSIONS, MODELS } from "./models.js";

/** Texts per embedding request, at most. */
export const MAX_BATCH = 512;
/** Characters per request (all texts together), at most: keeps a call well inside the isolate's CPU and memory limits. */
export const MAX_TOTAL_CHARS = 1_000_000;
/** Candidate documents per rerank request, at most. */
export const MAX_DOCUMENTS = 10_000;

const invalid = (message: string): PluginError => new PluginError("plugin_invalid_arguments", message);

function checkTexts(value: unknown, name: string, max: number): readonly string[] {
  if (!Array.isArray(value)) throw invalid(`${name} must be a list of strings`);
  if (value.length > max) throw invalid(`${name} has ${value.length} entries; at most ${max} are accepted per request`);
  let chars = 0;
  value.forEach((text, i) => {
    if (typeof text !== "string") throw invalid(`${name}[${i}] must be a string`);
    chars += text.length;
  });
  if (chars > MAX_TOTAL_CHARS) throw invalid(`${name} holds ${chars} characters; at most ${MAX_TOTAL_CHARS} are accepted per request (split it into several requests)`);
  return value as readonly string[];
}

export const local = defineModelProvider({
  label: "Local (offline)",
  credentialsSchema: Type.Object({}),

  validateCredentials() {
    // Nothing to check: the models run inside the plugin.
  },

  listModels() {
    return MODELS;
  },

  chat(): AsyncIterable<ChatChunk> {
    throw new PluginError(
      "plugin_not_supported",
      "the local provider has no chat model; configure OpenAI, Anthropic or a local server such as Ollama",
    );
  },

  embed({ model, input, dimensions }): EmbedResult {
    const size = Object.prototype.hasOwnProperty.call(EMBEDDING_DIMENSIONS, model) ? EMBEDDING_DIMENSIONS[model] : undefined;
    if (size === undefined) {
      throw new PluginError("plugin_not_found", `the local provider has no embedding model ${JSON.stringify(model)}; use ${Object.keys(EMBEDDING_DIMENSIONS).join(" or ")}`);
    }
    if (dimensions !== undefined && dimensions !== null && dimensions !== size) {
      throw invalid(`${model} produces ${size}-dimensional vectors and cannot be shortened to ${dimensions}`);
    }
    const texts = checkTexts(input, "input", MAX_BATCH);
    let tokens = 0;
    const vectors = texts.map((text) => {
      const result = embed(text, size);
      tokens += result.tokens;
      return result.vector;
    });
    return { vectors, usage: { prompt_tokens: tokens } };
  },

  rerank({ model, query, documents, top_n, score_threshold }): RerankResult {
    if (model !== BM25_MODEL) throw new PluginError("plugin_not_found", `the local provider has no rerank model ${JSON.stringify(model)}; use ${BM25_MODEL}`);
    if (typeof query !== "string") throw invalid("query must be a string");
    const docs = checkTexts(documents, "documents", MAX_DOCUMENTS);
    if (query.length > MAX_TOTAL_CHARS) throw invalid(`query is longer than ${MAX_TOTAL_CHARS} characters`);
    if (top_n !== undefined && top_n !== null && (!Number.isInteger(top_n) || top_n < 1)) throw invalid("top_n must be a positive integer");
    if (score_threshold !== undefined && score_threshold !== null && (typeof score_threshold !== "number" || !Number.isFinite(score_threshold))) {
      throw invalid("score_threshold must be a number");
    }
    const { results, tokens } = rank(query, docs, {
      ...(top_n !== undefined && top_n !== null ? { topN: top_n } : {}),
      ...(score_threshold !== undefined && score_threshold !== null ? { threshold: score_threshold } : {}),
    });
    return { results, usage: { prompt_tokens: tokens } };
  },
});
