/**
 * Chat-completion wire types shared by model providers and reverse invocation.
 *
 * The shapes deliberately follow the OpenAI Chat Completions API (snake_case
 * fields included) because most providers speak it or map onto it cleanly.
 *
 * @module
 */

import type { AbortSignalLike } from "./abort.js";
import type { JsonSchema } from "./json.js";

/** A text content part. */
export interface TextContentPart {
  /** Discriminator. */
  readonly type: "text";
  /** The text. */
  readonly text: string;
}

/** An image content part; only sent to models with the `vision` feature. */
export interface ImageContentPart {
  /** Discriminator. */
  readonly type: "image_url";
  /** The image. */
  readonly image_url: {
    /** An `https:` URL or a `data:` URL with base64 image bytes. */
    readonly url: string;
    /** Requested fidelity; providers that do not support it ignore it. */
    readonly detail?: "auto" | "low" | "high";
  };
}

/** One part of a multi-part message content. */
export type ContentPart = TextContentPart | ImageContentPart;

/** A system (instruction) message. */
export interface SystemMessage {
  /** Discriminator. */
  readonly role: "system";
  /** The instructions. */
  readonly content: string;
}

/** A message from the end user. */
export interface UserMessage {
  /** Discriminator. */
  readonly role: "user";
  /** Plain text or a list of text/image parts. */
  readonly content: string | readonly ContentPart[];
  /** Optional participant name. */
  readonly name?: string;
}

/** A call the model asked to make to one of the request's {@link ChatTool}s. */
export interface ToolCall {
  /** Call id; echoed back in the {@link ToolMessage} with the result. */
  readonly id: string;
  /** Always `"function"`. */
  readonly type: "function";
  /** The function to call. */
  readonly function: {
    /** The tool's name. */
    readonly name: string;
    /** The arguments as a JSON-encoded string (may be invalid JSON if the model erred). */
    readonly arguments: string;
  };
}

/** A previous reply from the model. */
export interface AssistantMessage {
  /** Discriminator. */
  readonly role: "assistant";
  /** The reply text; `null` when the reply consisted only of tool calls. */
  readonly content: string | null;
  /** Tool calls the model made. */
  readonly tool_calls?: readonly ToolCall[];
}

/** The result of a tool call, sent back to the model. */
export interface ToolMessage {
  /** Discriminator. */
  readonly role: "tool";
  /** The {@link ToolCall.id} this message answers. */
  readonly tool_call_id: string;
  /** The tool's result, usually JSON-encoded. */
  readonly content: string;
}

/** Any chat message. */
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** A tool the model may call. */
export interface ChatTool {
  /** Always `"function"`. */
  readonly type: "function";
  /** The function's description. */
  readonly function: {
    /** Name the model uses to call it (`^[a-zA-Z0-9_-]{1,64}$`). */
    readonly name: string;
    /** What the tool does, for the model. */
    readonly description?: string;
    /** JSON Schema of the arguments object. */
    readonly parameters: JsonSchema;
    /** Ask the provider to enforce the schema exactly, where supported. */
    readonly strict?: boolean;
  };
}

/** Whether and which tool the model must call. */
export type ToolChoice =
  | "auto"
  | "none"
  | "required"
  | { readonly type: "function"; readonly function: { readonly name: string } };

/**
 * Constrains the format of the model's reply: free text, any JSON object, or
 * JSON matching a schema.
 */
export type ResponseFormat =
  | { readonly type: "text" }
  | { readonly type: "json_object" }
  | {
      /** Reply with JSON matching a schema (models with the `structured-output` feature). */
      readonly type: "json_schema";
      /** The schema and its options. */
      readonly json_schema: {
        /** A name for the schema. */
        readonly name: string;
        /** The JSON Schema the reply must satisfy. */
        readonly schema: JsonSchema;
        /** Ask the provider to enforce the schema exactly, where supported. */
        readonly strict?: boolean;
      };
    };

/** The parameters of a chat completion, independent of credentials. */
export interface ChatParams {
  /** The model id, as reported by {@link ModelProvider.listModels}. */
  readonly model: string;
  /** The conversation so far. */
  readonly messages: readonly ChatMessage[];
  /** Tools the model may call; only for models with the `tool-call` feature. */
  readonly tools?: readonly ChatTool[];
  /** Tool selection policy. */
  readonly tool_choice?: ToolChoice;
  /** Reply format; `json_schema` only for models with the `structured-output` feature. */
  readonly response_format?: ResponseFormat;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Nucleus sampling probability mass. */
  readonly top_p?: number;
  /** Maximum number of tokens to generate. */
  readonly max_tokens?: number;
  /** Sequences that stop generation. */
  readonly stop?: readonly string[];
  /** An opaque end-user id, forwarded for abuse monitoring where supported. */
  readonly user?: string;
  /** Cancels the request; providers must stop streaming once it aborts. */
  readonly signal?: AbortSignalLike;
}

/** An incremental piece of a tool call inside a {@link ChatChunk}. */
export interface ToolCallDelta {
  /** Position of the call in the reply; deltas with the same index belong together. */
  readonly index: number;
  /** Call id; present on the first delta of a call. */
  readonly id?: string;
  /** Always `"function"` when present. */
  readonly type?: "function";
  /** Name (first delta) and a fragment of the JSON-encoded arguments. */
  readonly function?: { readonly name?: string; readonly arguments?: string };
}

/** Why the model stopped generating. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** Token accounting for one chat completion. */
export interface ChatUsage {
  /** Tokens in the prompt (messages, tools, format). */
  readonly prompt_tokens: number;
  /** Tokens generated. */
  readonly completion_tokens: number;
  /** prompt + completion, when the provider reports it. */
  readonly total_tokens?: number;
}

/**
 * One element of a streamed chat completion.
 *
 * A stream is a sequence of chunks carrying text and/or tool-call deltas; the
 * last chunk carries `finish_reason`, and `usage` appears on the last chunk (or
 * on any single chunk) once known. A non-streaming upstream is adapted by
 * yielding a single chunk with everything set.
 */
export interface ChatChunk {
  /** The increment. */
  readonly delta: {
    /** A fragment of the reply text. */
    readonly content?: string;
    /** A fragment of the model's reasoning (models with the `agent-thought` feature). */
    readonly reasoning_content?: string;
    /** Tool-call fragments. */
    readonly tool_calls?: readonly ToolCallDelta[];
  };
  /** Set on the final chunk. */
  readonly finish_reason?: FinishReason | null;
  /** Token usage, once known. */
  readonly usage?: ChatUsage;
}

/** A whole chat reply, assembled from a stream by {@link collectChat}. */
export interface ChatCompletion {
  /** The assistant message (text and tool calls). */
  readonly message: AssistantMessage;
  /** The concatenated reasoning text, if any. */
  readonly reasoning_content?: string;
  /** Why generation stopped; `null` if the stream ended without saying. */
  readonly finish_reason: FinishReason | null;
  /** Token usage, if the provider reported it. */
  readonly usage?: ChatUsage;
}

/**
 * Consumes a chat stream and assembles the complete reply, joining text
 * fragments and merging tool-call deltas by index.
 *
 * @param stream - The output of {@link ModelProvider.chat} or {@link ModelInvoker.chat}.
 */
export async function collectChat(stream: AsyncIterable<ChatChunk>): Promise<ChatCompletion> {
  let content = "";
  let reasoning = "";
  let finish: FinishReason | null = null;
  let usage: ChatUsage | undefined;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  for await (const chunk of stream) {
    content += chunk.delta.content ?? "";
    reasoning += chunk.delta.reasoning_content ?? "";
    for (const d of chunk.delta.tool_calls ?? []) {
      const call = calls.get(d.index) ?? { id: "", name: "", arguments: "" };
      call.id = d.id ?? call.id;
      call.name += d.function?.name ?? "";
      call.arguments += d.function?.arguments ?? "";
      calls.set(d.index, call);
    }
    if (chunk.finish_reason) finish = chunk.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  const toolCalls: ToolCall[] = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, c]) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }));
  const message: AssistantMessage =
    toolCalls.length > 0
      ? { role: "assistant", content: content === "" ? null : content, tool_calls: toolCalls }
      : { role: "assistant", content };
  return {
    message,
    finish_reason: finish,
    ...(reasoning === "" ? {} : { reasoning_content: reasoning }),
    ...(usage === undefined ? {} : { usage }),
  };
}
