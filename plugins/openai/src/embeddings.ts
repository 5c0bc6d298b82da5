/**
 * Embeddings: `POST /embeddings`, in batches of at most
 * {@link MAX_INPUTS_PER_REQUEST} texts, vectors returned in input order.
 *
 * @module
 */

import { PluginError, type EmbedRequest, type EmbedResult, type PluginContext } from "@tessera/sdk";
import { endpointUrl, requestHeaders, resolveConfig, type Credentials } from "./credentials.js";
import { aborted, cancelledError, errorFromResponse, fetchUpstream, readJson } from "./errors.js";

/** OpenAI's limit on `input` entries per request. */
export const MAX_INPUTS_PER_REQUEST = 2048;

/** Computes embeddings for `request.input`, one vector per text, in input order. */
export async function embed(request: EmbedRequest<Credentials>, ctx: PluginContext): Promise<EmbedResult> {
  const { credentials, signal, model, input, dimensions } = request;
  const config = resolveConfig(credentials);
  if (typeof model !== "string" || model === "") throw new PluginError("plugin_invalid_arguments", "model must be a non-empty string");
  if (!Array.isArray(input) || input.some((text) => typeof text !== "string")) {
    throw new PluginError("plugin_invalid_arguments", "input must be an array of strings");
  }
  if (dimensions !== undefined && (!Number.isInteger(dimensions) || dimensions < 1)) {
    throw new PluginError("plugin_invalid_arguments", "dimensions must be a positive integer");
  }
  const vectors: number[][] = [];
  let promptTokens = 0;
  for (let start = 0; start < input.length; start += MAX_INPUTS_PER_REQUEST) {
    if (aborted([ctx.signal, signal])) throw cancelledError("the embedding request");
    const batch = input.slice(start, start + MAX_INPUTS_PER_REQUEST);
    const body = { model, input: batch, ...(dimensions !== undefined ? { dimensions } : {}) };
    const res = await fetchUpstream(
      ctx,
      endpointUrl(config, "embeddings", model),
      { method: "POST", headers: requestHeaders(config, "application/json", true), body: JSON.stringify(body) },
      config.host,
      signal,
    );
    if (!res.ok) throw await errorFromResponse(res, config.host);
    const result = parseEmbeddings(await readJson(res, config.host), batch.length, config.host);
    vectors.push(...result.vectors);
    promptTokens += result.promptTokens;
  }
  return { vectors, usage: { prompt_tokens: promptTokens } };
}

/**
 * Reads `{data: [{index, embedding}], usage}`: vectors ordered by `index`
 * (servers may answer out of order), base64 float32 embeddings decoded.
 */
export function parseEmbeddings(body: unknown, expected: number, host: string): { vectors: number[][]; promptTokens: number } {
  const o = isObject(body) ? body : {};
  const data = Array.isArray(o["data"]) ? o["data"] : undefined;
  if (!data) throw new PluginError("plugin_upstream_error", `${host} answered the embeddings request without a "data" list`);
  if (data.length !== expected) {
    throw new PluginError("plugin_upstream_error", `${host} returned ${data.length} embeddings for ${expected} inputs`);
  }
  const vectors: (number[] | undefined)[] = new Array<number[] | undefined>(expected);
  data.forEach((item: unknown, position: number) => {
    const entry = isObject(item) ? item : {};
    const index = typeof entry["index"] === "number" ? entry["index"] : position;
    if (!Number.isInteger(index) || index < 0 || index >= expected || vectors[index] !== undefined) {
      throw new PluginError("plugin_upstream_error", `${host} returned an embedding with a bad or repeated index ${JSON.stringify(entry["index"])}`);
    }
    vectors[index] = toVector(entry["embedding"], host);
  });
  const usage = isObject(o["usage"]) ? o["usage"] : {};
  const tokens = usage["prompt_tokens"] ?? usage["total_tokens"];
  return { vectors: vectors as number[][], promptTokens: typeof tokens === "number" ? tokens : 0 };
}

function toVector(value: unknown, host: string): number[] {
  if (Array.isArray(value) && value.every((x) => typeof x === "number")) return value as number[];
  if (typeof value === "string") {
    // encoding_format "base64": little-endian float32s.
    const binary = atob(value);
    if (binary.length % 4 !== 0) throw new PluginError("plugin_upstream_error", `${host} returned a base64 embedding of ${binary.length} bytes`);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const view = new DataView(bytes.buffer);
    return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
  }
  throw new PluginError("plugin_upstream_error", `${host} returned an embedding that is not a list of numbers`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
