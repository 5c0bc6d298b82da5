/**
 * Moderation: `POST /moderations` (`{model, input}` → `{id, model, results}`),
 * one verdict per input text, in input order.
 *
 * Azure OpenAI has no moderation endpoint (it filters content on its own), so
 * Azure credentials answer `plugin_not_supported`.
 *
 * @module
 */

import { PluginError, type ModerateRequest, type ModerateResult, type ModerationVerdict, type PluginContext } from "@tessera/sdk";
import { endpointUrl, requestHeaders, resolveConfig, type Credentials } from "./credentials.js";
import { errorFromResponse, fetchUpstream, readJson } from "./errors.js";

/** Classifies `request.input` with the moderation model `request.model`. */
export async function moderate(request: ModerateRequest<Credentials>, ctx: PluginContext): Promise<ModerateResult> {
  const { credentials, signal, model, input } = request;
  const config = resolveConfig(credentials);
  if (typeof model !== "string" || model === "") throw new PluginError("plugin_invalid_arguments", "model must be a non-empty string");
  if (!Array.isArray(input) || input.some((text) => typeof text !== "string")) {
    throw new PluginError("plugin_invalid_arguments", "input must be an array of strings");
  }
  if (config.apiType === "azure") throw new PluginError("plugin_not_supported", "Azure OpenAI has no moderation endpoint");
  if (input.length === 0) return { results: [] };
  const res = await fetchUpstream(
    ctx,
    endpointUrl(config, "moderations"),
    { method: "POST", headers: requestHeaders(config, "application/json", true), body: JSON.stringify({ model, input }) },
    config.host,
    signal,
  );
  if (!res.ok) throw await errorFromResponse(res, config.host);
  return { results: parseModerations(await readJson(res, config.host), input.length, config.host) };
}

/** Reads `{results: [{flagged, categories, category_scores}]}`, one entry per input. */
export function parseModerations(body: unknown, expected: number, host: string): ModerationVerdict[] {
  const o = isObject(body) ? body : {};
  const results = Array.isArray(o["results"]) ? o["results"] : undefined;
  if (!results) throw new PluginError("plugin_upstream_error", `${host} answered the moderation request without a "results" list`);
  if (results.length !== expected) {
    throw new PluginError("plugin_upstream_error", `${host} returned ${results.length} moderation results for ${expected} inputs`);
  }
  return results.map((item: unknown) => {
    const entry = isObject(item) ? item : {};
    if (typeof entry["flagged"] !== "boolean") throw new PluginError("plugin_upstream_error", `${host} returned a moderation result without a boolean "flagged"`);
    const categories = pick(entry["categories"], (v): v is boolean => typeof v === "boolean");
    const scores = isObject(entry["category_scores"]) ? pick(entry["category_scores"], (v): v is number => typeof v === "number" && Number.isFinite(v)) : undefined;
    return { flagged: entry["flagged"], categories, ...(scores ? { category_scores: scores } : {}) };
  });
}

/** The entries of `value` (an object) whose values pass `keep`; `{}` for anything else. */
function pick<T>(value: unknown, keep: (v: unknown) => v is T): Record<string, T> {
  const out: Record<string, T> = {};
  if (!isObject(value)) return out;
  for (const [key, v] of Object.entries(value)) if (keep(v)) out[key] = v;
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
