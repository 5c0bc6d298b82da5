import { Type } from "@sinclair/typebox";
import {
  defineModelProvider,
  definePlugin,
  PluginError,
  type ChatChunk,
  type FetchResponse,
  type ModelDescriptor,
  type PluginContext,
} from "@tessera/sdk";

/**
 * The API this provider talks to. Its host must be listed in
 * `tessera.permissions.network.hosts`; to target another OpenAI-compatible
 * server, change both.
 */
export const BASE_URL = "https://api.openai.com/v1";

/** The models offered; adjust to what your upstream serves. */
export const MODELS: readonly ModelDescriptor[] = [
  {
    model: "gpt-4o-mini",
    label: "GPT-4o mini",
    model_type: "llm",
    features: ["tool-call", "multi-tool-call", "stream-tool-call", "vision", "structured-output"],
    model_properties: { context_size: 128000, mode: "chat", max_output_tokens: 16384 },
  },
];

const credentialsSchema = Type.Object({
  api_key: Type.String({ minLength: 1, description: "API key, sent as a Bearer token" }),
});

export const provider = defineModelProvider({
  label: "{{title}}",
  credentialsSchema,

  async validateCredentials({ api_key }, ctx) {
    const res = await ctx.fetch(`${BASE_URL}/models`, { headers: { authorization: `Bearer ${api_key}` } });
    await ensureOk(res);
  },

  listModels() {
    return MODELS;
  },

  async *chat(request, ctx) {
    const { credentials, signal, ...params } = request;
    const res = await ctx.fetch(`${BASE_URL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${credentials.api_key}`, "content-type": "application/json" },
      body: JSON.stringify({ ...params, stream: true, stream_options: { include_usage: true } }),
      ...(signal ? { signal } : {}),
    });
    await ensureOk(res);
    for await (const data of serverSentEvents(res, ctx)) {
      if (data === "[DONE]") return;
      yield toChunk(JSON.parse(data) as OpenAIChunk);
    }
  },
});

export default definePlugin({
  providers: { "openai-compatible": provider },
});

interface OpenAIChunk {
  choices?: { delta?: ChatChunk["delta"]; finish_reason?: ChatChunk["finish_reason"] }[];
  usage?: ChatChunk["usage"] | null;
}

/** Maps one streamed OpenAI chunk onto a {@link ChatChunk}. */
export function toChunk(chunk: OpenAIChunk): ChatChunk {
  const choice = chunk.choices?.[0];
  const delta = choice?.delta ?? {};
  return {
    delta: {
      ...(delta.content ? { content: delta.content } : {}),
      ...(delta.tool_calls ? { tool_calls: delta.tool_calls } : {}),
    },
    ...(choice?.finish_reason ? { finish_reason: choice.finish_reason } : {}),
    ...(chunk.usage ? { usage: { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens } } : {}),
  };
}

/** Yields the `data:` payloads of a server-sent-events body. */
async function* serverSentEvents(res: FetchResponse, ctx: PluginContext): AsyncGenerator<string> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body) {
    if (ctx.signal.aborted) throw new PluginError("plugin_cancelled", "chat cancelled");
    buffer += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line.startsWith("data:")) yield line.slice(5).trim();
    }
  }
}

/** Turns an upstream error status into the matching {@link PluginError}. */
async function ensureOk(res: FetchResponse): Promise<void> {
  if (res.ok) return;
  const body = (await res.text()).slice(0, 500);
  const message = `upstream answered ${res.status} ${res.statusText}: ${body}`;
  if (res.status === 401) throw new PluginError("plugin_credentials_invalid", message);
  if (res.status === 403) throw new PluginError("plugin_permission_denied", message);
  if (res.status === 404) throw new PluginError("plugin_not_found", message);
  if (res.status === 429) throw new PluginError("plugin_rate_limited", message);
  if (res.status >= 400 && res.status < 500) throw new PluginError("plugin_invalid_arguments", message);
  throw new PluginError("plugin_upstream_error", message);
}
