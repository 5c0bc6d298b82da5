/**
 * The `openai` model provider: OpenAI, Azure OpenAI deployments and any
 * OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, DeepSeek,
 * Groq, OpenRouter, …), for chat and embeddings, and OpenAI's moderation models.
 *
 * `countTokens` is not implemented: the contract makes it optional and the
 * kernel falls back to its own approximate tokenizer.
 *
 * @module
 */

import { defineModelProvider, definePlugin, type PluginContext } from "@tessera/sdk";
import { streamChat } from "./chat.js";
import { credentialsSchema, endpointUrl, requestHeaders, resolveConfig, type Credentials, type ProviderConfig } from "./credentials.js";
import { embed } from "./embeddings.js";
import { moderate } from "./moderation.js";
import { discard, errorFromResponse, fetchUpstream } from "./errors.js";
import { isReasoningModel, listModels } from "./models.js";

export { credentialsSchema };

/**
 * Checks the credentials with the cheapest real request: `GET /models`
 * (Azure: `GET /openai/models`). A server without that endpoint (404) is
 * asked for a one-token chat with the first model of the `models` credential.
 *
 * @throws PluginError `plugin_credentials_invalid` on 401/403 (with the provider's message), other codes as mapped.
 */
export async function validateCredentials(credentials: Credentials, ctx: PluginContext): Promise<void> {
  const config = resolveConfig(credentials);
  const res = await fetchUpstream(ctx, endpointUrl(config, "models"), { headers: requestHeaders(config) }, config.host);
  if (res.ok) {
    await discard(res);
    return;
  }
  const error = await errorFromResponse(res, config.host);
  const probe = config.models[0];
  if (res.status !== 404 || probe === undefined) throw error;
  await pingChat(config, probe.id, probe.baseModel ?? probe.id, ctx);
}

/** Sends a one-token, non-streamed chat to `model`. */
async function pingChat(config: ProviderConfig, model: string, target: string, ctx: PluginContext): Promise<void> {
  const body = {
    model,
    messages: [{ role: "user", content: "ping" }],
    [isReasoningModel(target) ? "max_completion_tokens" : "max_tokens"]: 1,
  };
  const res = await fetchUpstream(
    ctx,
    endpointUrl(config, "chat", model),
    { method: "POST", headers: requestHeaders(config, "application/json", true), body: JSON.stringify(body) },
    config.host,
  );
  if (!res.ok) throw await errorFromResponse(res, config.host);
  await discard(res);
}

export const provider = defineModelProvider({
  label: "OpenAI",
  credentialsSchema,
  validateCredentials,
  listModels,
  chat: streamChat,
  embed,
  moderate,
});

export default definePlugin({
  providers: { openai: provider },
});
