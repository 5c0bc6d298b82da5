/**
 * The models: Anthropic's `GET /v1/models`, described with a built-in table
 * of what the API does not say (context window, output limit, features, prices).
 *
 * @module
 */

import { PluginError, type ModelDescriptor, type ModelFeature, type PluginContext } from "@tessera/sdk";
import type { Endpoint } from "./credentials.js";
import { ensureOk } from "./errors.js";
import { send } from "./http.js";

/** Every current Claude model takes tools (several per reply, streamed) and images. */
const FEATURES: readonly ModelFeature[] = ["tool-call", "multi-tool-call", "stream-tool-call", "vision"];
/** Claude Haiku 3.5 takes no image input. */
const TEXT_ONLY: readonly ModelFeature[] = ["tool-call", "multi-tool-call", "stream-tool-call"];

/** Context window of every current Claude model (the 1M-token window is a beta opt-in). */
export const CONTEXT_SIZE = 200_000;

/** `GET /v1/models` page size (the API allows 1–1000). */
export const PAGE_SIZE = 100;
/** Pages read at most, against a server that keeps saying `has_more`. */
const MAX_PAGES = 50;

function claude(model: string, label: string, maxOutput: number, input: number, output: number, aliases: readonly string[], features = FEATURES): ModelDescriptor & { aliases: readonly string[] } {
  return {
    model,
    label,
    model_type: "llm",
    features,
    model_properties: { context_size: CONTEXT_SIZE, mode: "chat", max_output_tokens: maxOutput },
    pricing: { input, output, unit: 0.000001, currency: "USD" },
    aliases,
  };
}

/**
 * What this plugin knows about Claude models (prices in USD per million
 * tokens, standard rates without batch or cache discounts). A snapshot:
 * `listModels` lists what the API returns, and describes models missing
 * here generically.
 */
const TABLE = [
  claude("claude-opus-4-5-20251101", "Claude Opus 4.5", 64_000, 5, 25, ["claude-opus-4-5"]),
  claude("claude-haiku-4-5-20251001", "Claude Haiku 4.5", 64_000, 1, 5, ["claude-haiku-4-5"]),
  claude("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", 64_000, 3, 15, ["claude-sonnet-4-5"]),
  claude("claude-opus-4-1-20250805", "Claude Opus 4.1", 32_000, 15, 75, ["claude-opus-4-1"]),
  claude("claude-opus-4-20250514", "Claude Opus 4", 32_000, 15, 75, ["claude-opus-4-0"]),
  claude("claude-sonnet-4-20250514", "Claude Sonnet 4", 64_000, 3, 15, ["claude-sonnet-4-0"]),
  claude("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", 64_000, 3, 15, ["claude-3-7-sonnet-latest"]),
  claude("claude-3-5-haiku-20241022", "Claude Haiku 3.5", 8_192, 0.8, 4, ["claude-3-5-haiku-latest"], TEXT_ONLY),
  claude("claude-3-haiku-20240307", "Claude Haiku 3", 4_096, 0.25, 1.25, []),
];

/** The built-in models, newest first (what `listModels` returns when the server has no model list). */
export const BUILTIN_MODELS: readonly ModelDescriptor[] = TABLE.map(({ aliases: _aliases, ...descriptor }) => descriptor);

const BY_ID = new Map<string, ModelDescriptor>();
TABLE.forEach((entry, i) => {
  const descriptor = BUILTIN_MODELS[i] as ModelDescriptor;
  for (const id of [entry.model, ...entry.aliases]) BY_ID.set(id, descriptor);
});

/** The built-in description of `model` (a dated id or an alias), if known. */
export function knownModel(model: string): ModelDescriptor | undefined {
  return BY_ID.get(model);
}

/** One entry of `GET /v1/models`. */
export interface ApiModel {
  readonly id: string;
  readonly display_name?: string;
  readonly created_at?: string;
  readonly type?: string;
}

/**
 * Describes an API model: the table's entry (under the API's id and display
 * name) or, for a model the table does not know, a generic Claude description
 * without output limit or prices.
 */
export function describeModel(api: ApiModel): ModelDescriptor {
  const known = knownModel(api.id);
  const label = typeof api.display_name === "string" && api.display_name !== "" ? api.display_name : (known?.label ?? api.id);
  if (known) return { ...known, model: api.id, label };
  return { model: api.id, label, model_type: "llm", features: FEATURES, model_properties: { context_size: CONTEXT_SIZE, mode: "chat" } };
}

/**
 * Reads every page of `GET {base}/v1/models` (following `last_id` with
 * `after_id` while `has_more`). Resolves to `null` when the server has no
 * model list (404/405, e.g. some gateways).
 */
export async function fetchModels(endpoint: Endpoint, ctx: PluginContext): Promise<ApiModel[] | null> {
  const models: ApiModel[] = [];
  const seen = new Set<string>();
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = `limit=${PAGE_SIZE}${after !== undefined ? `&after_id=${encodeURIComponent(after)}` : ""}`;
    const res = await send(ctx, `${endpoint.baseUrl}/v1/models?${query}`, { headers: endpoint.headers });
    if ((res.status === 404 || res.status === 405) && page === 0) {
      await res.text().catch(() => "");
      return null;
    }
    await ensureOk(res);
    let body: { data?: unknown; has_more?: unknown; last_id?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new PluginError("plugin_upstream_error", "Anthropic: GET /v1/models returned malformed JSON");
    }
    if (!Array.isArray(body?.data)) throw new PluginError("plugin_upstream_error", "Anthropic: GET /v1/models returned no data list");
    for (const entry of body.data as unknown[]) {
      const m = entry as ApiModel;
      if (typeof m?.id !== "string" || m.id === "" || seen.has(m.id)) continue;
      if (m.type !== undefined && m.type !== "model") continue;
      seen.add(m.id);
      models.push(m);
    }
    const last = typeof body.last_id === "string" && body.last_id !== "" ? body.last_id : undefined;
    if (body.has_more !== true || last === undefined || last === after) return models;
    after = last;
  }
  ctx.log.warn("GET /v1/models kept saying has_more; stopped paging", { pages: MAX_PAGES });
  return models;
}

/**
 * The models for `listModels`: the API's list described from the table, or
 * the built-in table when the server offers no list.
 */
export async function listModels(endpoint: Endpoint, ctx: PluginContext): Promise<ModelDescriptor[]> {
  const api = await fetchModels(endpoint, ctx);
  if (api === null) return [...BUILTIN_MODELS];
  return api.map(describeModel);
}
