/**
 * Streaming chat: ChatParams → `POST /chat/completions` (`stream: true`), and
 * the event stream → ChatChunks as they arrive.
 *
 * @module
 */

import {
  PluginError,
  type ChatChunk,
  type ChatMessage,
  type ChatParams,
  type ChatRequest,
  type ChatUsage,
  type ContentPart,
  type FinishReason,
  type PluginContext,
  type ToolCallDelta,
} from "@tessera/sdk";
import { endpointUrl, requestHeaders, resolveConfig, type Credentials, type ProviderConfig } from "./credentials.js";
import { aborted, cancelledError, errorFromResponse, fetchUpstream, readJson, streamError } from "./errors.js";
import { isReasoningModel } from "./models.js";
import { sseEvents } from "./sse.js";

type Json = Record<string, unknown>;

/**
 * The request body for `params`, field by field (nothing the SDK does not
 * define is passed through).
 *
 * @param params - The chat parameters.
 * @param targetModel - The model behind `params.model` (differs for an Azure deployment declared as `deployment=model`).
 */
export function buildChatBody(params: ChatParams, targetModel: string = params.model): Json {
  if (typeof params.model !== "string" || params.model === "") throw invalid("model must be a non-empty string");
  if (!Array.isArray(params.messages) || params.messages.length === 0) throw invalid("messages must be a non-empty array");
  const body: Json = { model: params.model, messages: params.messages.map(mapMessage) };
  if (params.tools !== undefined && params.tools.length > 0) {
    body["tools"] = params.tools.map((tool, i) => {
      const fn = tool?.function;
      if (typeof fn?.name !== "string" || fn.name === "") throw invalid(`tools[${i}].function.name must be a non-empty string`);
      return {
        type: "function",
        function: {
          name: fn.name,
          ...(fn.description !== undefined ? { description: fn.description } : {}),
          parameters: fn.parameters ?? { type: "object", properties: {} },
          ...(fn.strict !== undefined ? { strict: fn.strict } : {}),
        },
      };
    });
  }
  if (params.tool_choice !== undefined) body["tool_choice"] = params.tool_choice;
  const format = params.response_format;
  if (format !== undefined && format.type !== "text") {
    if (format.type === "json_object") body["response_format"] = { type: "json_object" };
    else if (format.type === "json_schema") {
      const schema = format.json_schema;
      body["response_format"] = {
        type: "json_schema",
        json_schema: { name: schema.name, schema: schema.schema, ...(schema.strict !== undefined ? { strict: schema.strict } : {}) },
      };
    } else throw invalid(`unknown response_format type ${JSON.stringify((format as { type?: unknown }).type)}`);
  }
  if (params.temperature !== undefined) body["temperature"] = params.temperature;
  if (params.top_p !== undefined) body["top_p"] = params.top_p;
  if (params.max_tokens !== undefined) {
    // o-series models reject `max_tokens`; compatible servers only know `max_tokens`.
    body[isReasoningModel(targetModel) ? "max_completion_tokens" : "max_tokens"] = params.max_tokens;
  }
  if (params.stop !== undefined && params.stop.length > 0) body["stop"] = [...params.stop];
  if (params.user !== undefined) body["user"] = params.user;
  return body;
}

function mapMessage(message: ChatMessage, i: number): Json {
  switch (message?.role) {
    case "system":
      return { role: "system", content: message.content };
    case "user":
      return {
        role: "user",
        content: typeof message.content === "string" ? message.content : message.content.map((part, j) => mapPart(part, `messages[${i}].content[${j}]`)),
        ...(message.name !== undefined ? { name: message.name } : {}),
      };
    case "assistant":
      return {
        role: "assistant",
        content: message.content ?? null,
        ...(message.tool_calls !== undefined && message.tool_calls.length > 0
          ? {
              tool_calls: message.tool_calls.map((call) => ({
                id: call.id,
                type: "function",
                function: { name: call.function.name, arguments: call.function.arguments },
              })),
            }
          : {}),
      };
    case "tool":
      return { role: "tool", tool_call_id: message.tool_call_id, content: message.content };
    default:
      throw invalid(`messages[${i}].role must be system, user, assistant or tool (got ${JSON.stringify((message as { role?: unknown })?.role)})`);
  }
}

function mapPart(part: ContentPart, where: string): Json {
  if (part?.type === "text") return { type: "text", text: part.text };
  if (part?.type === "image_url") {
    if (typeof part.image_url?.url !== "string") throw invalid(`${where}.image_url.url must be a string`);
    return { type: "image_url", image_url: { url: part.image_url.url, ...(part.image_url.detail !== undefined ? { detail: part.image_url.detail } : {}) } };
  }
  throw invalid(`${where}.type must be "text" or "image_url"`);
}

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_calls",
  function_call: "tool_calls",
  content_filter: "content_filter",
  // spellings some compatible servers use
  eos: "stop",
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
};

/**
 * Keeps tool-call indexes consistent: a server that reuses index 0 for a
 * second call (with a new id) gets the second call moved to its own index.
 */
export class ToolCallIndexes {
  private readonly seen = new Map<number, { index: number; id: string | undefined }>();
  private next = 0;

  /** The index to report for an upstream delta at `index` carrying `id`. */
  map(index: number, id: string | undefined): number {
    const entry = this.seen.get(index);
    if (entry && (id === undefined || entry.id === undefined || entry.id === id)) {
      entry.id ??= id;
      return entry.index;
    }
    const mapped = Math.max(this.next, entry ? 0 : index);
    this.next = mapped + 1;
    this.seen.set(index, { index: mapped, id });
    return mapped;
  }
}

/**
 * Maps one `chat.completion.chunk` onto a ChatChunk, or `undefined` when it
 * carries nothing (e.g. the first chunk, with only `role`).
 *
 * @throws PluginError mapped from an `error` object in the chunk.
 */
export function toChatChunk(json: unknown, host: string, indexes: ToolCallIndexes): ChatChunk | undefined {
  if (!isObject(json)) throw new PluginError("plugin_upstream_error", `${host} sent a stream event that is not a JSON object: ${clip(JSON.stringify(json))}`);
  if (json["error"] !== undefined && json["error"] !== null) throw streamError(json["error"], host);
  const choices = Array.isArray(json["choices"]) ? json["choices"].filter(isObject) : [];
  const choice = choices.find((c) => (c["index"] ?? 0) === 0) ?? choices[0];
  const delta = isObject(choice?.["delta"]) ? choice["delta"] : isObject(choice?.["message"]) ? choice["message"] : {};
  const out: { delta: { content?: string; reasoning_content?: string; tool_calls?: ToolCallDelta[] }; finish_reason?: FinishReason; usage?: ChatUsage } = {
    delta: {},
  };
  if (typeof delta["content"] === "string" && delta["content"] !== "") out.delta.content = delta["content"];
  // DeepSeek: reasoning_content; OpenRouter, vLLM, Ollama: reasoning.
  const reasoning = delta["reasoning_content"] ?? delta["reasoning"];
  if (typeof reasoning === "string" && reasoning !== "") out.delta.reasoning_content = reasoning;
  if (Array.isArray(delta["tool_calls"])) {
    const calls: ToolCallDelta[] = [];
    delta["tool_calls"].forEach((raw: unknown, position: number) => {
      if (!isObject(raw)) return;
      const id = typeof raw["id"] === "string" && raw["id"] !== "" ? raw["id"] : undefined;
      const index = indexes.map(typeof raw["index"] === "number" ? raw["index"] : position, id);
      const fn = isObject(raw["function"]) ? raw["function"] : {};
      const name = typeof fn["name"] === "string" && fn["name"] !== "" ? fn["name"] : undefined;
      const args = typeof fn["arguments"] === "string" ? fn["arguments"] : isObject(fn["arguments"]) ? JSON.stringify(fn["arguments"]) : undefined;
      calls.push({
        index,
        ...(id !== undefined ? { id } : {}),
        ...(raw["type"] === "function" || id !== undefined ? { type: "function" as const } : {}),
        ...(name !== undefined || (args !== undefined && args !== "")
          ? { function: { ...(name !== undefined ? { name } : {}), ...(args !== undefined && args !== "" ? { arguments: args } : {}) } }
          : {}),
      });
    });
    if (calls.length > 0) out.delta.tool_calls = calls;
  }
  const finish = choice?.["finish_reason"];
  if (typeof finish === "string" && finish !== "") out.finish_reason = FINISH_REASONS[finish] ?? "stop";
  const usage = toUsage(json["usage"]);
  if (usage) out.usage = usage;
  const empty = out.delta.content === undefined && out.delta.reasoning_content === undefined && out.delta.tool_calls === undefined;
  return empty && out.finish_reason === undefined && out.usage === undefined ? undefined : out;
}

function toUsage(value: unknown): ChatUsage | undefined {
  if (!isObject(value)) return undefined;
  const prompt = value["prompt_tokens"] ?? value["input_tokens"];
  const completion = value["completion_tokens"] ?? value["output_tokens"];
  if (typeof prompt !== "number" && typeof completion !== "number") return undefined;
  return { prompt_tokens: typeof prompt === "number" ? prompt : 0, completion_tokens: typeof completion === "number" ? completion : 0 };
}

/** Adds `next` (usage, trailing text) to a held chunk. */
function merge(held: ChatChunk, next: ChatChunk): ChatChunk {
  const content = (held.delta.content ?? "") + (next.delta.content ?? "");
  const reasoning = (held.delta.reasoning_content ?? "") + (next.delta.reasoning_content ?? "");
  const calls = [...(held.delta.tool_calls ?? []), ...(next.delta.tool_calls ?? [])];
  return {
    delta: {
      ...(content !== "" ? { content } : {}),
      ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
      ...(calls.length > 0 ? { tool_calls: calls } : {}),
    },
    ...(next.finish_reason ?? held.finish_reason ? { finish_reason: next.finish_reason ?? held.finish_reason } : {}),
    ...(next.usage ?? held.usage ? { usage: (next.usage ?? held.usage)! } : {}),
  };
}

/**
 * Streams a chat completion.
 *
 * Chunks are yielded as their events arrive, except that the chunk carrying
 * `finish_reason` is held until the stream ends so that the usage OpenAI sends
 * right after it (in a chunk with empty `choices`) lands on the same, last chunk.
 */
export async function* streamChat(request: ChatRequest<Credentials>, ctx: PluginContext): AsyncGenerator<ChatChunk, void, undefined> {
  const { credentials, signal, ...params } = request;
  const config = resolveConfig(credentials);
  const signals = [ctx.signal, signal];
  const body = buildChatBody(params, targetModel(config, params.model));
  body["stream"] = true;
  body["stream_options"] = { include_usage: true };
  const res = await fetchUpstream(
    ctx,
    endpointUrl(config, "chat", params.model),
    { method: "POST", headers: requestHeaders(config, "text/event-stream", true), body: JSON.stringify(body) },
    config.host,
    signal,
  );
  if (!res.ok) throw await errorFromResponse(res, config.host);
  const indexes = new ToolCallIndexes();

  if (/^application\/json/i.test(res.headers.get("content-type") ?? "")) {
    // The server ignored `stream: true` and answered with the whole completion.
    const chunk = toChatChunk(await readJson(res, config.host), config.host, indexes);
    if (chunk) yield chunk;
    return;
  }
  if (res.body === null) throw new PluginError("plugin_upstream_error", `${config.host} answered the chat with an empty body`);

  let done = false;
  let finished = false;
  let held: ChatChunk | undefined;
  const events = sseEvents(res.body, signals, config.host);
  try {
    for await (const event of events) {
      const data = event.data.trim();
      if (data === "[DONE]") {
        done = true;
        break;
      }
      if (data === "") continue;
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new PluginError("plugin_upstream_error", `${config.host} sent a malformed stream event (not JSON): ${clip(data)}`);
      }
      if (event.event === "error") throw streamError(isObject(json) && json["error"] !== undefined ? json["error"] : json, config.host);
      const chunk = toChatChunk(json, config.host, indexes);
      if (chunk === undefined) continue;
      if (aborted(signals)) throw cancelledError("the chat");
      if (held !== undefined) {
        const onlyAddsUsage = chunk.delta.content === undefined && chunk.delta.reasoning_content === undefined && chunk.delta.tool_calls === undefined;
        if (onlyAddsUsage) {
          held = merge(held, chunk);
          continue;
        }
        yield held;
        held = undefined;
      }
      if (chunk.finish_reason) {
        finished = true;
        held = chunk;
        continue;
      }
      yield chunk;
    }
  } catch (error) {
    // The reply was complete (finish_reason received) when the connection broke: only the usage is lost.
    const code = (error as { code?: unknown }).code;
    if (!(finished && code === "plugin_upstream_error" && /stream ended early/.test(String((error as Error).message)))) throw error;
    ctx.log.warn("the chat stream broke after its finish_reason; usage may be missing", { host: config.host });
  }
  if (held !== undefined) yield held;
  if (!done && !finished) {
    throw new PluginError("plugin_upstream_error", `${config.host}: stream ended early (neither [DONE] nor a finish_reason was received)`);
  }
}

/** The model behind `model`: an Azure `deployment=model` mapping, else `model` itself. */
function targetModel(config: ProviderConfig, model: string): string {
  return config.models.find((m) => m.id === model)?.baseModel ?? model;
}

function invalid(message: string): PluginError {
  return new PluginError("plugin_invalid_arguments", message);
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
