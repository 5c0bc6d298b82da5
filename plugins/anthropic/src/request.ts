/**
 * OpenAI-style {@link ChatParams} → an Anthropic Messages API request body.
 *
 * @module
 */

import { PluginError, type ChatMessage, type ChatParams, type ChatTool, type ContentPart, type JsonSchema, type ResponseFormat, type ToolChoice } from "@tessera/sdk";

/** `max_tokens` when the request sets none (the Messages API requires it). */
export const DEFAULT_MAX_TOKENS = 4096;

/** Image types the Messages API accepts. */
export const IMAGE_MEDIA_TYPES: readonly string[] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/** A content block of a request message. */
export type AnthropicContentBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | { type: "tool_result"; tool_use_id: string; content?: string };

/** A request message: roles alternate, content is always a block list. */
export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicContentBlock[];
}

/** A tool definition. */
export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: JsonSchema;
}

/** The tool policy. */
export type AnthropicToolChoice = { type: "auto" } | { type: "any" } | { type: "none" } | { type: "tool"; name: string };

/** The body of `POST /v1/messages`. */
export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  system?: string;
  messages: AnthropicMessage[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  metadata?: { user_id: string };
  stream: true;
}

/** Receives warnings about lossy conversions (e.g. a tool call whose arguments were not JSON). */
export type Warn = (message: string, fields?: Record<string, string>) => void;

const invalid = (message: string): PluginError => new PluginError("plugin_invalid_arguments", message);

/**
 * Builds the Messages API request for `params`:
 *
 * - `system` messages (wherever they are) → the top-level `system`, joined by blank lines;
 * - consecutive messages of the same role are merged into one message;
 * - user `image_url` parts → `image` blocks (`base64` source for `data:` URLs, `url` source otherwise);
 * - assistant `tool_calls` → `tool_use` blocks, with `input` parsed from the arguments JSON;
 * - `tool` messages → `tool_result` blocks in a user message;
 * - `tools`, `tool_choice` (`required` → `any`), `stop` → `stop_sequences`, `user` → `metadata.user_id`;
 * - `response_format` JSON → an instruction appended to `system` (best effort: nothing enforces it).
 */
export function toAnthropicRequest(params: ChatParams, warn: Warn = () => undefined): AnthropicRequest {
  if (typeof params.model !== "string" || params.model === "") throw invalid("model is required");
  if (!Array.isArray(params.messages)) throw invalid("messages must be an array");
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  const append = (role: AnthropicMessage["role"], blocks: AnthropicContentBlock[]): void => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  params.messages.forEach((message: ChatMessage, i) => {
    switch (message?.role) {
      case "system":
        if (typeof message.content !== "string") throw invalid(`messages[${i}]: system content must be a string`);
        if (message.content.trim() !== "") system.push(message.content);
        break;
      case "user":
        append("user", userBlocks(message.content, i));
        break;
      case "assistant":
        append("assistant", assistantBlocks(message, i, warn));
        break;
      case "tool":
        if (typeof message.tool_call_id !== "string" || message.tool_call_id === "") throw invalid(`messages[${i}]: tool_call_id is required`);
        append("user", [
          {
            type: "tool_result",
            tool_use_id: message.tool_call_id,
            ...(typeof message.content === "string" && message.content !== "" ? { content: message.content } : {}),
          },
        ]);
        break;
      default:
        throw invalid(`messages[${i}]: unknown role ${JSON.stringify((message as { role?: unknown })?.role)}`);
    }
  });
  if (messages.length === 0) throw invalid("messages must contain at least one user, assistant or tool message");

  const instruction = formatInstruction(params.response_format);
  if (instruction) system.push(instruction);

  const body: AnthropicRequest = {
    model: params.model,
    max_tokens: params.max_tokens ?? DEFAULT_MAX_TOKENS,
    ...(system.length > 0 ? { system: system.join("\n\n") } : {}),
    messages,
    stream: true,
  };
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) throw invalid("max_tokens must be a positive integer");
  if (params.tools && params.tools.length > 0) {
    body.tools = params.tools.map(toTool);
    const choice = toToolChoice(params.tool_choice);
    if (choice) body.tool_choice = choice;
  }
  if (params.temperature !== undefined && params.temperature !== null) body.temperature = params.temperature;
  if (params.top_p !== undefined && params.top_p !== null) body.top_p = params.top_p;
  if (params.stop && params.stop.length > 0) body.stop_sequences = [...params.stop];
  if (typeof params.user === "string" && params.user !== "") body.metadata = { user_id: params.user };
  return body;
}

function userBlocks(content: string | readonly ContentPart[], i: number): AnthropicContentBlock[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content)) throw invalid(`messages[${i}]: user content must be a string or a list of parts`);
  const blocks: AnthropicContentBlock[] = [];
  content.forEach((part: ContentPart, j) => {
    if (part?.type === "text") {
      if (typeof part.text !== "string") throw invalid(`messages[${i}].content[${j}]: text must be a string`);
      if (part.text !== "") blocks.push({ type: "text", text: part.text });
    } else if (part?.type === "image_url") {
      blocks.push(imageBlock(part.image_url?.url, `messages[${i}].content[${j}]`));
    } else {
      throw invalid(`messages[${i}].content[${j}]: unsupported part type ${JSON.stringify((part as { type?: unknown })?.type)}`);
    }
  });
  return blocks;
}

/**
 * An `image_url` → an image block: `data:<type>;base64,<data>` becomes a
 * base64 source (JPEG, PNG, GIF or WebP), an `http(s)` URL a url source.
 */
export function imageBlock(url: unknown, where = "image"): AnthropicContentBlock {
  if (typeof url !== "string" || url === "") throw invalid(`${where}: image_url.url is required`);
  if (/^data:/i.test(url)) {
    const match = /^data:([^,;]*)((?:;[^,;]*)*),(.*)$/is.exec(url);
    if (!match) throw invalid(`${where}: malformed data: URL`);
    const mediaType = (match[1] ?? "").trim().toLowerCase().replace(/^image\/jpg$/, "image/jpeg");
    const isBase64 = (match[2] ?? "").split(";").some((p) => p.trim().toLowerCase() === "base64");
    if (!isBase64) throw invalid(`${where}: data: URLs must be base64-encoded`);
    if (!IMAGE_MEDIA_TYPES.includes(mediaType)) {
      throw invalid(`${where}: unsupported image type ${JSON.stringify(mediaType || "(none)")}; Anthropic accepts ${IMAGE_MEDIA_TYPES.join(", ")}`);
    }
    return { type: "image", source: { type: "base64", media_type: mediaType, data: (match[3] ?? "").replace(/\s+/g, "") } };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  throw invalid(`${where}: image URLs must be https: or data: URLs`);
}

function assistantBlocks(message: Extract<ChatMessage, { role: "assistant" }>, i: number, warn: Warn): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  if (message.content !== null && message.content !== undefined) {
    if (typeof message.content !== "string") throw invalid(`messages[${i}]: assistant content must be a string or null`);
    if (message.content !== "") blocks.push({ type: "text", text: message.content });
  }
  for (const [j, call] of (message.tool_calls ?? []).entries()) {
    const name = call?.function?.name;
    if (typeof call?.id !== "string" || call.id === "" || typeof name !== "string" || name === "") {
      throw invalid(`messages[${i}].tool_calls[${j}]: id and function.name are required`);
    }
    blocks.push({ type: "tool_use", id: call.id, name, input: parseArguments(call.function.arguments, call.id, warn) });
  }
  return blocks;
}

/**
 * Parses a tool call's arguments. The Messages API needs an object: empty
 * arguments become `{}`, and so (with a warning) do arguments that are not a
 * JSON object — a model can emit those, and failing the whole conversation
 * over it would be worse.
 */
export function parseArguments(args: unknown, id: string, warn: Warn): Record<string, unknown> {
  if (args === undefined || args === null || (typeof args === "string" && args.trim() === "")) return {};
  if (typeof args === "object" && !Array.isArray(args)) return args as Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(String(args));
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  warn("tool call arguments are not a JSON object; sending {} instead", { tool_call_id: id });
  return {};
}

function toTool(tool: ChatTool, i: number): AnthropicTool {
  const fn = tool?.function;
  if (typeof fn?.name !== "string" || fn.name === "") throw invalid(`tools[${i}]: function.name is required`);
  const parameters = typeof fn.parameters === "object" && fn.parameters !== null ? fn.parameters : {};
  return {
    name: fn.name,
    ...(typeof fn.description === "string" && fn.description !== "" ? { description: fn.description } : {}),
    // The Messages API requires an object schema.
    input_schema: "type" in parameters ? parameters : { type: "object", ...parameters },
  };
}

/** `auto` → auto, `none` → none, `required` → any, `{function: {name}}` → `{type: "tool", name}`. */
export function toToolChoice(choice: ToolChoice | undefined): AnthropicToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "auto") return { type: "auto" };
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "any" };
  if (typeof choice === "object" && choice.type === "function" && typeof choice.function?.name === "string") {
    return { type: "tool", name: choice.function.name };
  }
  throw invalid(`unsupported tool_choice ${JSON.stringify(choice)}`);
}

/** The system-prompt instruction standing in for JSON mode (the Messages API has none). */
export function formatInstruction(format: ResponseFormat | undefined): string | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") {
    return "Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.";
  }
  if (format.type === "json_schema") {
    return (
      "Respond with a single valid JSON value that conforms to the following JSON Schema, and nothing else: " +
      `no prose, no Markdown code fences.\n${JSON.stringify(format.json_schema?.schema ?? {})}`
    );
  }
  return undefined;
}
