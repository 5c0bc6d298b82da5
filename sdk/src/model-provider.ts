/**
 * The model-provider extension point: LLMs, embedding models, rerankers and
 * moderation models.
 *
 * @module
 */

import type { AbortSignalLike } from "./abort.js";
import type { ChatChunk, ChatMessage, ChatParams, ChatTool } from "./chat.js";
import type { PluginContext } from "./context.js";
import type { Awaitable, InferSchema, JsonSchema } from "./json.js";
import type { EmbedParams, EmbedResult, ModerateParams, ModerateResult, RerankParams, RerankResult } from "./model-calls.js";

/** The kinds of model a provider can serve. */
export type ModelType = "llm" | "text-embedding" | "rerank" | "moderation";

/** Every {@link ModelType}. */
export const MODEL_TYPES: readonly ModelType[] = Object.freeze(["llm", "text-embedding", "rerank", "moderation"]);

/**
 * Optional capabilities of an LLM. The kernel only sends requests that use a
 * capability to models that declare it.
 *
 * - `tool-call` — accepts `tools`/`tool_choice`.
 * - `multi-tool-call` — may return several tool calls in one reply.
 * - `stream-tool-call` — streams tool-call deltas (instead of one final delta).
 * - `vision` — accepts `image_url` content parts.
 * - `agent-thought` — streams reasoning in `reasoning_content`.
 * - `structured-output` — honours `response_format: json_schema`.
 */
export type ModelFeature =
  | "tool-call"
  | "multi-tool-call"
  | "stream-tool-call"
  | "vision"
  | "agent-thought"
  | "structured-output";

/** Static properties of a model. */
export interface ModelProperties {
  /** Context window in tokens (for embedding models: maximum input tokens). */
  readonly context_size: number;
  /** For LLMs: whether the model is used through the chat or the completion protocol. */
  readonly mode?: "chat" | "completion";
  /** For LLMs: maximum tokens the model can generate in one reply. */
  readonly max_output_tokens?: number;
  /** For embedding models: the vector dimension. */
  readonly dimensions?: number;
}

/**
 * Model prices. The cost of `n` tokens is `n * unit * price`; for example
 * `{ input: 2.5, output: 10, unit: 0.000001, currency: "USD" }` means
 * USD 2.50 per million input tokens.
 */
export interface ModelPricing {
  /** Price of input (prompt) tokens, per `1 / unit` tokens. */
  readonly input: number;
  /** Price of output (completion) tokens, per `1 / unit` tokens; omit for embedding/rerank/moderation models. */
  readonly output?: number;
  /** Multiplier applied to token counts, e.g. `0.000001` for per-million pricing. */
  readonly unit: number;
  /** ISO 4217 currency code, e.g. `"USD"`. */
  readonly currency: string;
}

/** A model offered by a provider, as returned by {@link ModelProvider.listModels}. */
export interface ModelDescriptor {
  /** The model id sent to the upstream API, e.g. `"gpt-4o-mini"`. */
  readonly model: string;
  /** A human-friendly name. */
  readonly label: string;
  /** The kind of model. */
  readonly model_type: ModelType;
  /** Optional capabilities (LLMs only). */
  readonly features?: readonly ModelFeature[];
  /** Static properties. */
  readonly model_properties: ModelProperties;
  /** Prices, when known. */
  readonly pricing?: ModelPricing;
  /** Set when the upstream has deprecated the model. */
  readonly deprecated?: boolean;
}

/** Adds the provider credentials to a request. */
export interface WithCredentials<C> {
  /** The credentials configured by the workspace, validated against the provider's `credentialsSchema`. */
  readonly credentials: C;
}

/** A chat request as received by a provider. */
export type ChatRequest<C = Record<string, unknown>> = ChatParams & WithCredentials<C>;

/** An embedding request as received by a provider. */
export type EmbedRequest<C = Record<string, unknown>> = EmbedParams & WithCredentials<C>;

/** A rerank request as received by a provider. */
export type RerankRequest<C = Record<string, unknown>> = RerankParams & WithCredentials<C>;

/** A moderation request as received by a provider. */
export type ModerateRequest<C = Record<string, unknown>> = ModerateParams & WithCredentials<C>;

/** A token-counting request. */
export interface CountTokensRequest<C = Record<string, unknown>> extends WithCredentials<C> {
  /** The model whose tokenizer to use. */
  readonly model: string;
  /** The messages to count. */
  readonly messages: readonly ChatMessage[];
  /** Tools, which also consume prompt tokens. */
  readonly tools?: readonly ChatTool[];
  /** Cancels the request. */
  readonly signal?: AbortSignalLike;
}

/**
 * What a plugin author writes to implement a model provider (see
 * {@link defineModelProvider}).
 *
 * Failures must be thrown as {@link PluginError}s: `plugin_credentials_invalid`
 * for 401/403 from the upstream, `plugin_rate_limited` for 429,
 * `plugin_invalid_arguments` for other 4xx and `plugin_upstream_error` for 5xx.
 *
 * @typeParam S - The credentials schema; a TypeBox schema types `credentials`.
 */
export interface ModelProviderDefinition<S extends JsonSchema = JsonSchema> {
  /** Display name, e.g. `"OpenAI"`. */
  readonly label?: string;
  /** JSON Schema of the credentials form (API key, base URL, ...). */
  readonly credentialsSchema: S;
  /**
   * Checks that `credentials` work (typically with a cheap upstream call).
   * Resolves if they do; throws `plugin_credentials_invalid` if not.
   */
  validateCredentials(credentials: InferSchema<S>, ctx: PluginContext): Awaitable<void>;
  /** Lists the models available with `credentials`. */
  listModels(credentials: InferSchema<S>, ctx: PluginContext): Awaitable<readonly ModelDescriptor[]>;
  /** Streams a chat completion (for `llm` models). */
  chat(request: ChatRequest<InferSchema<S>>, ctx: PluginContext): AsyncIterable<ChatChunk>;
  /** Computes embeddings (for `text-embedding` models). */
  embed?(request: EmbedRequest<InferSchema<S>>, ctx: PluginContext): Awaitable<EmbedResult>;
  /** Reranks documents (for `rerank` models). */
  rerank?(request: RerankRequest<InferSchema<S>>, ctx: PluginContext): Awaitable<RerankResult>;
  /** Classifies texts against content policies (for `moderation` models). */
  moderate?(request: ModerateRequest<InferSchema<S>>, ctx: PluginContext): Awaitable<ModerateResult>;
  /**
   * Counts prompt tokens exactly. When omitted the kernel falls back to an
   * approximate tokenizer.
   */
  countTokens?(request: CountTokensRequest<InferSchema<S>>, ctx: PluginContext): Awaitable<number>;
}

/**
 * A model provider contribution, as returned by {@link defineModelProvider}.
 *
 * @typeParam S - The credentials schema.
 */
export interface ModelProvider<S extends JsonSchema = JsonSchema> extends ModelProviderDefinition<S> {
  /** Discriminator attached by {@link defineModelProvider}. */
  readonly kind: "model-provider";
}
