/**
 * Model listing: the server's `GET /models`, described with a built-in table
 * of well-known OpenAI models (capabilities, context, prices) and with the
 * metadata some compatible servers add (OpenRouter, vLLM, Groq, Together).
 *
 * @module
 */

import { PluginError, type ModelDescriptor, type ModelFeature, type ModelPricing, type ModelType, type PluginContext } from "@tessera/sdk";
import { endpointUrl, isOpenAIHost, requestHeaders, resolveConfig, type Credentials, type ProviderConfig } from "./credentials.js";
import { errorFromResponse, fetchUpstream, readJson } from "./errors.js";

/** A row of the built-in table. Prices in USD per million tokens. */
interface KnownModel {
  readonly label: string;
  readonly type: ModelType;
  readonly features?: readonly ModelFeature[];
  readonly context: number;
  readonly maxOutput?: number;
  readonly dimensions?: number;
  readonly input: number;
  readonly output?: number;
  readonly deprecated?: boolean;
}

const ALL: readonly ModelFeature[] = ["tool-call", "multi-tool-call", "stream-tool-call", "vision", "structured-output"];
const NO_VISION: readonly ModelFeature[] = ["tool-call", "multi-tool-call", "stream-tool-call", "structured-output"];

/**
 * Well-known OpenAI models (list prices as published by OpenAI, standard tier).
 * Dated snapshots (`gpt-4o-2024-08-06`, `gpt-3.5-turbo-0125`) inherit their row.
 */
export const KNOWN_MODELS: Readonly<Record<string, KnownModel>> = {
  "gpt-4o": { label: "GPT-4o", type: "llm", features: ALL, context: 128_000, maxOutput: 16_384, input: 2.5, output: 10 },
  "gpt-4o-mini": { label: "GPT-4o mini", type: "llm", features: ALL, context: 128_000, maxOutput: 16_384, input: 0.15, output: 0.6 },
  "gpt-4.1": { label: "GPT-4.1", type: "llm", features: ALL, context: 1_047_576, maxOutput: 32_768, input: 2, output: 8 },
  "gpt-4.1-mini": { label: "GPT-4.1 mini", type: "llm", features: ALL, context: 1_047_576, maxOutput: 32_768, input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { label: "GPT-4.1 nano", type: "llm", features: ALL, context: 1_047_576, maxOutput: 32_768, input: 0.1, output: 0.4 },
  // o-series: reasoning happens upstream and is not streamed, so no `agent-thought`.
  o1: { label: "o1", type: "llm", features: ALL, context: 200_000, maxOutput: 100_000, input: 15, output: 60 },
  "o1-mini": { label: "o1-mini", type: "llm", features: [], context: 128_000, maxOutput: 65_536, input: 1.1, output: 4.4, deprecated: true },
  o3: { label: "o3", type: "llm", features: ALL, context: 200_000, maxOutput: 100_000, input: 2, output: 8 },
  "o3-mini": { label: "o3-mini", type: "llm", features: NO_VISION, context: 200_000, maxOutput: 100_000, input: 1.1, output: 4.4 },
  "o4-mini": { label: "o4-mini", type: "llm", features: ALL, context: 200_000, maxOutput: 100_000, input: 1.1, output: 4.4 },
  "gpt-3.5-turbo": {
    label: "GPT-3.5 Turbo",
    type: "llm",
    features: ["tool-call", "multi-tool-call", "stream-tool-call"],
    context: 16_385,
    maxOutput: 4_096,
    input: 0.5,
    output: 1.5,
  },
  "text-embedding-3-small": { label: "text-embedding-3-small", type: "text-embedding", context: 8_191, dimensions: 1_536, input: 0.02 },
  "text-embedding-3-large": { label: "text-embedding-3-large", type: "text-embedding", context: 8_191, dimensions: 3_072, input: 0.13 },
  "text-embedding-ada-002": { label: "text-embedding-ada-002", type: "text-embedding", context: 8_191, dimensions: 1_536, input: 0.1 },
  // Moderation (`POST /moderations`) is free of charge.
  "omni-moderation-latest": { label: "omni-moderation-latest", type: "moderation", context: 32_768, input: 0 },
  "text-moderation-latest": { label: "text-moderation-latest", type: "moderation", context: 32_768, input: 0 },
};

/** Context assumed for an LLM the table and the server say nothing about. */
export const DEFAULT_LLM_CONTEXT = 8_192;
/** Input limit assumed for an unknown embedding model. */
export const DEFAULT_EMBEDDING_CONTEXT = 8_192;
/** Features assumed for an unknown LLM: every OpenAI-compatible server accepts `tools`. */
const DEFAULT_LLM_FEATURES: readonly ModelFeature[] = ["tool-call", "stream-tool-call"];

/**
 * Image, speech and moderation models: never chat or embedding models, on any server (LocalAI lists them too).
 * OpenAI's own moderation models are kept on api.openai.com (as `moderation` models, see {@link listModels}).
 */
const NEVER_CHAT = /dall-e|whisper|^tts-|moderation/i;
/** What else api.openai.com lists that its chat and embeddings endpoints cannot serve. */
const OPENAI_NON_CHAT = /tts|^davinci|^babbage|gpt-image|realtime|audio|transcribe|^sora/i;

/** Looks `id` up in the table, also as a dated snapshot of a known model. */
export function knownModel(id: string): { model: KnownModel; snapshot?: string } | undefined {
  const exact = KNOWN_MODELS[id];
  if (exact) return { model: exact };
  const dated = /^(.+?)-(\d{4}-\d{2}-\d{2}|\d{4})$/.exec(id);
  const base = dated ? KNOWN_MODELS[dated[1]!] : undefined;
  return base && dated ? { model: base, snapshot: dated[2]! } : undefined;
}

/** Whether `model` is an OpenAI reasoning model (o1, o3, o4-mini, gpt-5…), which takes `max_completion_tokens`. */
export function isReasoningModel(model: string): boolean {
  return /^(?:o\d+(?:-|$)|gpt-5)/i.test(model);
}

/** What a server's /models entry says about a model, beyond its id. */
interface ServerInfo {
  readonly label?: string;
  readonly type?: ModelType;
  readonly context?: number;
  readonly maxOutput?: number;
  readonly features?: readonly ModelFeature[];
  readonly pricing?: ModelPricing;
}

/** Reads the metadata OpenRouter, vLLM, Groq, Together and Mistral put in /models entries. */
export function serverInfo(entry: Record<string, unknown>): ServerInfo {
  const info: { -readonly [K in keyof ServerInfo]: ServerInfo[K] } = {};
  const top = isObject(entry["top_provider"]) ? entry["top_provider"] : {};
  const context = firstPositive(entry["context_length"], entry["max_model_len"], entry["context_window"], entry["max_context_length"], top["context_length"]);
  if (context !== undefined) info.context = context;
  const maxOutput = firstPositive(top["max_completion_tokens"], entry["max_completion_tokens"]);
  if (maxOutput !== undefined) info.maxOutput = maxOutput;
  if (typeof entry["name"] === "string" && entry["name"] !== "") info.label = entry["name"];
  if (entry["type"] === "embedding" || entry["type"] === "embeddings") info.type = "text-embedding";
  const params = Array.isArray(entry["supported_parameters"]) ? (entry["supported_parameters"] as unknown[]) : undefined;
  if (params) {
    const architecture = isObject(entry["architecture"]) ? entry["architecture"] : {};
    const modalities = Array.isArray(architecture["input_modalities"]) ? (architecture["input_modalities"] as unknown[]) : [];
    const features: ModelFeature[] = [];
    if (params.includes("tools")) features.push("tool-call", "multi-tool-call", "stream-tool-call");
    if (modalities.includes("image")) features.push("vision");
    if (params.includes("structured_outputs")) features.push("structured-output");
    if (params.includes("reasoning") || params.includes("include_reasoning")) features.push("agent-thought");
    info.features = features;
  }
  const pricing = isObject(entry["pricing"]) ? entry["pricing"] : undefined;
  const perToken = (value: unknown): number | undefined => {
    const n = typeof value === "string" ? Number(value) : typeof value === "number" ? value : NaN;
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const input = perToken(pricing?.["prompt"]);
  if (input !== undefined) {
    const output = perToken(pricing?.["completion"]);
    // OpenRouter quotes USD per token; keep per-million figures for readability.
    info.pricing = { input: round(input * 1e6), ...(output !== undefined ? { output: round(output * 1e6) } : {}), unit: 0.000001, currency: "USD" };
  }
  return info;
}

/**
 * Describes one model: from the table when it is (a snapshot of) a known model,
 * else from what the server said and the id.
 *
 * @param id - The id sent upstream (for Azure, the deployment name).
 * @param info - The server's metadata, if any.
 * @param baseModel - The known model an Azure deployment stands for (`deployment=model`).
 */
export function describeModel(id: string, info: ServerInfo = {}, baseModel?: string): ModelDescriptor {
  const known = knownModel(baseModel ?? id) ?? (baseModel === undefined ? undefined : knownModel(id));
  if (known) {
    const m = known.model;
    const label = id !== (baseModel ?? id) ? `${id} (${m.label})` : known.snapshot ? `${m.label} (${known.snapshot})` : m.label;
    return {
      model: id,
      label,
      model_type: m.type,
      ...(m.type === "llm" ? { features: [...(m.features ?? [])] } : {}),
      model_properties: {
        context_size: m.context,
        ...(m.type === "llm" ? { mode: "chat" as const } : {}),
        ...(m.maxOutput !== undefined ? { max_output_tokens: m.maxOutput } : {}),
        ...(m.dimensions !== undefined ? { dimensions: m.dimensions } : {}),
      },
      pricing: { input: m.input, ...(m.output !== undefined ? { output: m.output } : {}), unit: 0.000001, currency: "USD" },
      ...(m.deprecated ? { deprecated: true } : {}),
    };
  }
  const type: ModelType = info.type ?? (/embed/i.test(id) ? "text-embedding" : "llm");
  if (type !== "llm") {
    return {
      model: id,
      label: info.label ?? id,
      model_type: type,
      model_properties: { context_size: info.context ?? DEFAULT_EMBEDDING_CONTEXT },
      ...(info.pricing ? { pricing: { input: info.pricing.input, unit: info.pricing.unit, currency: info.pricing.currency } } : {}),
    };
  }
  const features = [...(info.features ?? DEFAULT_LLM_FEATURES)];
  // DeepSeek-R1 style models stream their reasoning in `reasoning_content`.
  if (!features.includes("agent-thought") && /reasoner|(?:^|[-_/:.])r1(?:$|[-_/:.])|qwq|thinking/i.test(id)) features.push("agent-thought");
  return {
    model: id,
    label: info.label ?? id,
    model_type: "llm",
    features,
    model_properties: {
      context_size: info.context ?? DEFAULT_LLM_CONTEXT,
      mode: "chat",
      ...(info.maxOutput !== undefined ? { max_output_tokens: info.maxOutput } : {}),
    },
    ...(info.pricing ? { pricing: info.pricing } : {}),
  };
}

/**
 * Lists the models: `GET {base}/models` (Azure: the deployments named in the
 * `models` credential), plus the ids in `models`, each described. Moderation
 * models come from api.openai.com's list (the table's `omni-moderation-latest`,
 * `text-moderation-latest`) or from the `models` credential.
 */
export async function listModels(credentials: Credentials, ctx: PluginContext): Promise<ModelDescriptor[]> {
  const config = resolveConfig(credentials);
  const configured = new Map(config.models.map((m) => [m.id, m] as const));
  if (config.apiType === "azure") {
    if (config.models.length === 0) {
      throw new PluginError(
        "plugin_invalid_arguments",
        "Azure OpenAI: list your deployment names in the `models` credential (comma-separated; `deployment=model` to name the model behind one)",
      );
    }
    return config.models.map((m) => describeModel(m.id, {}, m.baseModel));
  }
  const served = await fetchServerModels(config, ctx);
  const out: ModelDescriptor[] = [];
  const seen = new Set<string>();
  for (const entry of served ?? []) {
    const id = entry["id"];
    if (typeof id !== "string" || id === "" || seen.has(id)) continue;
    const moderation = isOpenAIHost(config) && knownModel(id)?.model.type === "moderation";
    if (!moderation && (NEVER_CHAT.test(id) || (isOpenAIHost(config) && OPENAI_NON_CHAT.test(id)))) continue;
    seen.add(id);
    out.push(describeModel(id, serverInfo(entry), configured.get(id)?.baseModel));
  }
  for (const m of config.models) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    out.push(describeModel(m.id, {}, m.baseModel));
  }
  return out;
}

/**
 * The entries of `GET {base}/models`, or `undefined` when the server has no
 * such endpoint (404/405) and the `models` credential names the models instead.
 */
async function fetchServerModels(config: ProviderConfig, ctx: PluginContext): Promise<Record<string, unknown>[] | undefined> {
  const res = await fetchUpstream(ctx, endpointUrl(config, "models"), { headers: requestHeaders(config) }, config.host);
  if (!res.ok) {
    const error = await errorFromResponse(res, config.host);
    if ((res.status === 404 || res.status === 405) && config.models.length > 0) return undefined;
    throw error;
  }
  const body = await readJson(res, config.host);
  const list = Array.isArray(body) ? body : isObject(body) && Array.isArray(body["data"]) ? body["data"] : isObject(body) && Array.isArray(body["models"]) ? body["models"] : undefined;
  if (!list) throw new PluginError("plugin_upstream_error", `${config.host} answered /models without a "data" list`);
  return list.filter(isObject);
}

function firstPositive(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === "number" && Number.isFinite(v) && v > 0) return Math.floor(v);
  return undefined;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
