/**
 * The models of the `local` provider.
 *
 * @module
 */

import type { ModelDescriptor } from "@tessera/sdk";
import { MAX_TOKENS } from "./embed.js";

/** Embedding models: id → vector dimension. */
export const EMBEDDING_DIMENSIONS: Readonly<Record<string, number>> = Object.freeze({
  "hashed-ngrams-384": 384,
  "hashed-ngrams-768": 768,
});

/** The rerank model id. */
export const BM25_MODEL = "bm25";

/** What `listModels` returns. Token counts are this plugin's tokens (words and CJK characters), not a subword tokenizer's. */
export const MODELS: readonly ModelDescriptor[] = Object.freeze([
  {
    model: "hashed-ngrams-384",
    label: "Lexical hashed n-grams (384-d)",
    model_type: "text-embedding",
    model_properties: { context_size: MAX_TOKENS, dimensions: 384 },
  },
  {
    model: "hashed-ngrams-768",
    label: "Lexical hashed n-grams (768-d)",
    model_type: "text-embedding",
    model_properties: { context_size: MAX_TOKENS, dimensions: 768 },
  },
  {
    model: BM25_MODEL,
    label: "BM25 (lexical)",
    model_type: "rerank",
    model_properties: { context_size: MAX_TOKENS },
  },
]);
