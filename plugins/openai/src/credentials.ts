/**
 * The credentials form and what the provider derives from it: the endpoint
 * URLs and auth headers for OpenAI, Azure OpenAI and OpenAI-compatible servers.
 *
 * The kernel hands a provider the values an admin stored, as strings, with no
 * defaults applied; {@link resolveConfig} applies them.
 *
 * @module
 */

import { Type, type Static } from "@sinclair/typebox";
import { PluginError } from "@tessera/sdk";

/** The OpenAI API, used when `base_url` is empty. */
export const DEFAULT_BASE_URL = "https://api.openai.com/v1";
/** The Azure OpenAI data-plane API version used when `api_version` is empty (latest GA). */
export const DEFAULT_AZURE_API_VERSION = "2024-10-21";

/** JSON Schema (TypeBox) of the provider's credentials; the console renders its form from it. */
export const credentialsSchema = Type.Object({
  api_key: Type.Optional(
    Type.String({
      title: "API key",
      description:
        "Sent as `Authorization: Bearer …` (or `api-key` for Azure). Leave empty for local servers that need none (Ollama, LM Studio, llama.cpp, vLLM without --api-key).",
      writeOnly: true,
      "x-secret": true,
    }),
  ),
  base_url: Type.Optional(
    Type.String({
      title: "Base URL",
      description:
        "The API root including its version path, e.g. https://api.openai.com/v1, http://127.0.0.1:11434/v1 (Ollama), https://api.deepseek.com/v1. For Azure: the resource endpoint, e.g. https://my-resource.openai.azure.com.",
      default: DEFAULT_BASE_URL,
    }),
  ),
  api_type: Type.Optional(
    Type.Unsafe<"openai" | "azure">({
      type: "string",
      enum: ["openai", "azure"],
      title: "API type",
      description: "`openai` for OpenAI and every OpenAI-compatible server; `azure` for Azure OpenAI deployments.",
      default: "openai",
    }),
  ),
  api_version: Type.Optional(
    Type.String({
      title: "Azure API version",
      description: `Azure only: the api-version query parameter (default ${DEFAULT_AZURE_API_VERSION}).`,
      default: DEFAULT_AZURE_API_VERSION,
    }),
  ),
  organization: Type.Optional(
    Type.String({
      title: "Organization",
      description: "OpenAI only, optional: sent as the OpenAI-Organization header.",
    }),
  ),
  models: Type.Optional(
    Type.String({
      title: "Models",
      description:
        "Optional comma-separated model ids to offer in addition to what the server's /models lists (needed when it has none). Azure: your deployment names; write `deployment=model` (e.g. `prod-chat=gpt-4o`) to give a deployment the capabilities of a known model.",
    }),
  ),
});

/** The credentials as the kernel passes them. */
export type Credentials = Static<typeof credentialsSchema>;

/** A model listed in the `models` credential. */
export interface ConfiguredModel {
  /** The id sent upstream (an Azure deployment name, or a model id). */
  readonly id: string;
  /** The known model it stands for (`deployment=model`), when given. */
  readonly baseModel?: string;
}

/** Credentials with defaults applied and checked. */
export interface ProviderConfig {
  readonly apiType: "openai" | "azure";
  /** Without a trailing slash (and, for Azure, without a trailing `/openai`). */
  readonly baseUrl: string;
  /** `host[:port]` of the base URL, used in messages. */
  readonly host: string;
  readonly apiKey: string;
  readonly apiVersion: string;
  readonly organization: string;
  readonly models: readonly ConfiguredModel[];
}

/** What an endpoint URL is for. */
export type Endpoint = "models" | "chat" | "embeddings" | "moderations";

const text = (value: unknown): string => (typeof value === "string" ? value.trim() : "");

/**
 * Applies defaults to `credentials` and checks them.
 *
 * @throws PluginError `plugin_invalid_arguments` for an unusable base URL or API type.
 */
export function resolveConfig(credentials: Partial<Credentials> | undefined): ProviderConfig {
  const c = (credentials ?? {}) as Record<string, unknown>;
  const apiType = (text(c["api_type"]) || "openai").toLowerCase();
  if (apiType !== "openai" && apiType !== "azure") {
    throw new PluginError("plugin_invalid_arguments", `api_type must be "openai" or "azure", not ${JSON.stringify(c["api_type"])}`);
  }
  const given = text(c["base_url"]);
  if (apiType === "azure" && (given === "" || /^https?:\/\/api\.openai\.com(?:[:/]|$)/i.test(given))) {
    throw new PluginError(
      "plugin_invalid_arguments",
      "api_type azure needs base_url set to your Azure OpenAI endpoint, e.g. https://my-resource.openai.azure.com",
    );
  }
  let baseUrl = (given || DEFAULT_BASE_URL).replace(/\/+$/, "");
  if (apiType === "azure") baseUrl = baseUrl.replace(/\/openai$/i, "");
  const match = /^https?:\/\/(?:[^@/?#]*@)?([^/?#]+)(?:[/?#]|$)/i.exec(baseUrl);
  if (!match || /[?#]/.test(baseUrl)) {
    throw new PluginError(
      "plugin_invalid_arguments",
      `base_url must be an http:// or https:// URL without query or fragment, such as ${DEFAULT_BASE_URL} (got ${JSON.stringify(given)})`,
    );
  }
  return {
    apiType,
    baseUrl,
    host: match[1]!.toLowerCase(),
    apiKey: text(c["api_key"]),
    apiVersion: text(c["api_version"]) || DEFAULT_AZURE_API_VERSION,
    organization: text(c["organization"]),
    models: parseModelList(text(c["models"])),
  };
}

/** Parses the `models` credential: comma- (or newline-) separated ids, `deployment=model` pairs allowed. */
export function parseModelList(value: string): ConfiguredModel[] {
  const seen = new Set<string>();
  const out: ConfiguredModel[] = [];
  for (const entry of value.split(/[,\n]/)) {
    const [rawId = "", rawBase = ""] = entry.split("=", 2);
    const id = rawId.trim();
    const baseModel = rawBase.trim();
    if (id === "" || seen.has(id)) continue;
    seen.add(id);
    out.push(baseModel === "" ? { id } : { id, baseModel });
  }
  return out;
}

/** Whether the provider talks to OpenAI's own API (where /models lists non-chat models too). */
export function isOpenAIHost(config: ProviderConfig): boolean {
  return config.apiType === "openai" && config.host === "api.openai.com";
}

/**
 * The URL of `endpoint`. OpenAI-style: `{base}/models`, `{base}/chat/completions`,
 * `{base}/embeddings`, `{base}/moderations`. Azure: `{base}/openai/deployments/{deployment}/…?api-version=…`
 * (and `{base}/openai/models?api-version=…` to check the key).
 */
export function endpointUrl(config: ProviderConfig, endpoint: Endpoint, model?: string): string {
  if (config.apiType === "openai") {
    return `${config.baseUrl}/${endpoint === "chat" ? "chat/completions" : endpoint}`;
  }
  const version = `api-version=${encodeURIComponent(config.apiVersion)}`;
  if (endpoint === "models") return `${config.baseUrl}/openai/models?${version}`;
  const path = endpoint === "chat" ? "chat/completions" : endpoint;
  return `${config.baseUrl}/openai/deployments/${encodeURIComponent(model ?? "")}/${path}?${version}`;
}

/** Auth and content headers for a request. */
export function requestHeaders(config: ProviderConfig, accept = "application/json", body = false): Record<string, string> {
  const headers: Record<string, string> = { accept };
  if (body) headers["content-type"] = "application/json";
  if (config.apiType === "azure") {
    if (config.apiKey !== "") headers["api-key"] = config.apiKey;
  } else {
    if (config.apiKey !== "") headers["authorization"] = `Bearer ${config.apiKey}`;
    if (config.organization !== "") headers["openai-organization"] = config.organization;
  }
  return headers;
}
