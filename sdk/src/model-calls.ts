/**
 * What an embedding, rerank or moderation call asks and what it gets back —
 * shared by model providers (which receive these with credentials added, see
 * model-provider.ts) and reverse invocation from a plugin's context. A leaf
 * module beside chat.ts, so neither side imports the other.
 *
 * @module
 */

import type { AbortSignalLike } from "./abort.js";

/** Parameters of an embedding request. */
export interface EmbedParams {
  /** The embedding model id. */
  readonly model: string;
  /** Texts to embed. */
  readonly input: readonly string[];
  /** Whether the texts are documents to index or search queries (for asymmetric models). */
  readonly input_type?: "document" | "query";
  /** Requested output dimension, for models that support shortening. */
  readonly dimensions?: number;
  /** Cancels the request. */
  readonly signal?: AbortSignalLike;
}

/** The result of an embedding request. */
export interface EmbedResult {
  /** One vector per input text, in input order. */
  readonly vectors: number[][];
  /** Token accounting. */
  readonly usage: { readonly prompt_tokens: number };
}

/** Parameters of a rerank request. */
export interface RerankParams {
  /** The rerank model id. */
  readonly model: string;
  /** The query. */
  readonly query: string;
  /** Candidate documents. */
  readonly documents: readonly string[];
  /** Return only the best `top_n` results. */
  readonly top_n?: number;
  /** Drop results scoring below this threshold. */
  readonly score_threshold?: number;
  /** Cancels the request. */
  readonly signal?: AbortSignalLike;
}

/** One reranked document. */
export interface RerankItem {
  /** Index of the document in {@link RerankParams.documents}. */
  readonly index: number;
  /** Relevance score; higher is more relevant. */
  readonly relevance_score: number;
}

/** The result of a rerank request. */
export interface RerankResult {
  /** Results sorted by descending `relevance_score`. */
  readonly results: readonly RerankItem[];
  /** Token accounting, when the upstream reports it. */
  readonly usage?: { readonly prompt_tokens: number };
}

/** Parameters of a moderation request. */
export interface ModerateParams {
  /** The moderation model id, e.g. `"omni-moderation-latest"`. */
  readonly model: string;
  /** Texts to classify. */
  readonly input: readonly string[];
  /** Cancels the request. */
  readonly signal?: AbortSignalLike;
}

/** The verdict on one input text. */
export interface ModerationVerdict {
  /** Whether the text violates any category. */
  readonly flagged: boolean;
  /** Per category (e.g. `"violence"`), whether the text violates it. */
  readonly categories: Readonly<Record<string, boolean>>;
  /** Per category, the model's confidence in `[0, 1]`, when the upstream reports it. */
  readonly category_scores?: Readonly<Record<string, number>>;
}

/** The result of a moderation request. */
export interface ModerateResult {
  /** One verdict per input text, in input order. */
  readonly results: readonly ModerationVerdict[];
}
