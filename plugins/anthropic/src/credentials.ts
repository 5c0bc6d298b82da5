/**
 * The provider's credentials: an API key and an optional base URL.
 *
 * @module
 */

import { Type, type Static } from "@sinclair/typebox";
import { PluginError } from "@tessera/sdk";

/** The public Anthropic API. */
export const DEFAULT_BASE_URL = "https://api.anthropic.com";

/** The Messages API version this plugin speaks. */
export const ANTHROPIC_VERSION = "2023-06-01";

const BASE_URL_PATTERN = "^https?://[^\\s/?#]+(/[^\\s?#]*)?$";

/**
 * JSON Schema of the credentials form. Must equal `credentialsSchema` in the
 * manifest (checked by `tessera-plugin build`).
 */
export const credentialsSchema = Type.Object(
  {
    api_key: Type.String({
      minLength: 1,
      writeOnly: true,
      format: "password",
      description: "Anthropic API key, sent as the x-api-key header",
    }),
    base_url: Type.Optional(
      Type.String({
        pattern: BASE_URL_PATTERN,
        default: DEFAULT_BASE_URL,
        description: "API base URL without /v1 (default https://api.anthropic.com); set it for a proxy or gateway",
      }),
    ),
  },
);

/** The credentials as configured. */
export type AnthropicCredentials = Static<typeof credentialsSchema>;

/** What a request needs: the normalised base URL and the headers. */
export interface Endpoint {
  /** Base URL without a trailing slash or `/v1`, e.g. `https://api.anthropic.com`. */
  readonly baseUrl: string;
  /** Authentication and version headers (and `content-type`). */
  readonly headers: Record<string, string>;
}

/**
 * Checks the credentials and derives the endpoint from them. The kernel does
 * not validate credentials against the schema, so this does.
 *
 * @throws PluginError `plugin_credentials_invalid` for a missing key or a malformed base URL.
 */
export function endpointFor(credentials: Partial<AnthropicCredentials> | undefined): Endpoint {
  const apiKey = typeof credentials?.api_key === "string" ? credentials.api_key.trim() : "";
  if (apiKey === "") throw new PluginError("plugin_credentials_invalid", "no Anthropic api_key is configured");
  const raw = typeof credentials?.base_url === "string" && credentials.base_url.trim() !== "" ? credentials.base_url.trim() : DEFAULT_BASE_URL;
  if (!new RegExp(BASE_URL_PATTERN, "i").test(raw)) {
    throw new PluginError("plugin_credentials_invalid", `base_url ${JSON.stringify(raw)} is not an http(s) URL such as ${DEFAULT_BASE_URL}`);
  }
  // Accept "https://host/", "https://host/v1" and "https://host/v1/" as well as the bare origin.
  const baseUrl = raw.replace(/\/+$/, "").replace(/\/v1$/i, "");
  return {
    baseUrl,
    headers: {
      "x-api-key": apiKey,
      "anthropic-version": ANTHROPIC_VERSION,
      "content-type": "application/json",
    },
  };
}
