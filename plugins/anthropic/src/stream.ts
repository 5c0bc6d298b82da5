/**
 * Anthropic's streamed Messages events → {@link ChatChunk}s.
 *
 * @module
 */

import { PluginError, type ChatChunk, type ChatUsage, type FinishReason } from "@tessera/sdk";
import { anthropicError, codeForType, type AnthropicErrorBody } from "./errors.js";
import type { ServerSentEvent } from "./sse.js";

/** {@link ChatUsage} plus the total, which OpenAI-style consumers expect. */
export type Usage = ChatUsage & { readonly total_tokens: number };

/** Anthropic `stop_reason` → OpenAI-style `finish_reason`. */
export function finishReason(stopReason: string | null | undefined): FinishReason | null {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop";
    case "tool_use":
      return "tool_calls";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "refusal":
      return "content_filter";
    case null:
    case undefined:
      return null;
    default:
      return "stop";
  }
}

interface Block {
  readonly kind: "text" | "tool_use" | "thinking" | "other";
  /** For tool_use blocks: the tool-call index assigned to it. */
  readonly toolIndex?: number;
  /** For tool_use blocks: the input given on start, used when no input_json_delta follows. */
  readonly input?: unknown;
  /** For tool_use blocks: whether any argument fragment was sent. */
  sentArguments?: boolean;
}

interface TokenCounts {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

const upstream = (message: string): PluginError => new PluginError("plugin_upstream_error", `Anthropic: ${message}`);

/**
 * Turns events into chunks, one event at a time. Tool calls get indexes 0, 1,
 * … in the order their `tool_use` blocks start; text, thinking and
 * tool-argument fragments are passed on as they arrive; the final chunk (at
 * `message_stop`) carries `finish_reason` and `usage`.
 */
export class MessageStreamTranslator {
  private readonly blocks = new Map<number, Block>();
  private nextToolIndex = 0;
  private counts: TokenCounts = {};
  private stopReason: string | null | undefined;
  private started = false;
  /** `true` once `message_stop` arrived. */
  done = false;

  /**
   * Handles one event.
   *
   * @returns The chunks it produces (often none).
   * @throws PluginError for an `error` event (mapped by its type) and for malformed events.
   */
  push(sse: ServerSentEvent): ChatChunk[] {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(sse.data) as Record<string, unknown>;
    } catch {
      throw upstream(`malformed ${sse.event} event: ${truncate(sse.data)}`);
    }
    if (typeof event !== "object" || event === null || Array.isArray(event)) throw upstream(`malformed ${sse.event} event: ${truncate(sse.data)}`);
    const type = typeof event["type"] === "string" ? (event["type"] as string) : sse.event;
    switch (type) {
      case "message_start": {
        this.started = true;
        const message = event["message"] as { usage?: TokenCounts } | undefined;
        this.addCounts(message?.usage);
        return [];
      }
      case "content_block_start":
        return this.blockStart(event);
      case "content_block_delta":
        return this.blockDelta(event);
      case "content_block_stop": {
        const block = this.blocks.get(indexOf(event));
        if (block?.kind === "tool_use" && !block.sentArguments) {
          // No input_json_delta at all (a tool without arguments): send the start input, normally {}.
          block.sentArguments = true;
          const input = block.input !== undefined && typeof block.input === "object" && block.input !== null ? block.input : {};
          return [{ delta: { tool_calls: [{ index: block.toolIndex ?? 0, function: { arguments: JSON.stringify(input) } }] } }];
        }
        return [];
      }
      case "message_delta": {
        const delta = event["delta"] as { stop_reason?: string | null } | undefined;
        if (delta && "stop_reason" in delta) this.stopReason = delta.stop_reason;
        this.addCounts(event["usage"] as TokenCounts | undefined);
        return [];
      }
      case "message_stop": {
        this.done = true;
        return [{ delta: {}, finish_reason: finishReason(this.stopReason), usage: this.usage() }];
      }
      case "ping":
        return [];
      case "error": {
        const error = (event["error"] ?? {}) as AnthropicErrorBody;
        throw anthropicError(codeForType(error.type), error, { fallback: "the stream reported an error" });
      }
      default:
        // Event types added after this plugin was written are ignored, as the API's versioning policy asks.
        return [];
    }
  }

  /** Token usage so far: prompt tokens include cache reads and writes. */
  usage(): Usage {
    const c = this.counts;
    const prompt = (c.input_tokens ?? 0) + (c.cache_creation_input_tokens ?? 0) + (c.cache_read_input_tokens ?? 0);
    const completion = c.output_tokens ?? 0;
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }

  /**
   * Called when the body ended.
   *
   * @throws PluginError `plugin_upstream_error` if `message_stop` never came.
   */
  end(): void {
    if (!this.done) throw upstream(this.started ? "stream ended early (no message_stop)" : "stream ended early (no events)");
  }

  private addCounts(counts: TokenCounts | undefined): void {
    if (!counts || typeof counts !== "object") return;
    // message_delta counts are cumulative: the latest value of each wins.
    for (const key of ["input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"] as const) {
      const value = counts[key];
      if (typeof value === "number" && Number.isFinite(value)) this.counts[key] = value;
    }
  }

  private blockStart(event: Record<string, unknown>): ChatChunk[] {
    const index = indexOf(event);
    const block = (event["content_block"] ?? {}) as Record<string, unknown>;
    switch (block["type"]) {
      case "text": {
        this.blocks.set(index, { kind: "text" });
        const text = typeof block["text"] === "string" ? block["text"] : "";
        return text === "" ? [] : [{ delta: { content: text } }];
      }
      case "thinking": {
        this.blocks.set(index, { kind: "thinking" });
        const thinking = typeof block["thinking"] === "string" ? block["thinking"] : "";
        return thinking === "" ? [] : [{ delta: { reasoning_content: thinking } }];
      }
      case "tool_use": {
        const id = block["id"];
        const name = block["name"];
        if (typeof id !== "string" || typeof name !== "string") throw upstream("tool_use block without id or name");
        const toolIndex = this.nextToolIndex++;
        this.blocks.set(index, { kind: "tool_use", toolIndex, input: block["input"], sentArguments: false });
        return [{ delta: { tool_calls: [{ index: toolIndex, id, type: "function", function: { name, arguments: "" } }] } }];
      }
      default:
        // redacted_thinking, server tool blocks, …: not representable in a ChatChunk.
        this.blocks.set(index, { kind: "other" });
        return [];
    }
  }

  private blockDelta(event: Record<string, unknown>): ChatChunk[] {
    const block = this.blocks.get(indexOf(event));
    const delta = (event["delta"] ?? {}) as Record<string, unknown>;
    switch (delta["type"]) {
      case "text_delta": {
        const text = delta["text"];
        return typeof text === "string" && text !== "" ? [{ delta: { content: text } }] : [];
      }
      case "thinking_delta": {
        const thinking = delta["thinking"];
        return typeof thinking === "string" && thinking !== "" ? [{ delta: { reasoning_content: thinking } }] : [];
      }
      case "input_json_delta": {
        if (block?.kind !== "tool_use") throw upstream("input_json_delta outside a tool_use block");
        const partial = delta["partial_json"];
        if (typeof partial !== "string" || partial === "") return [];
        block.sentArguments = true;
        return [{ delta: { tool_calls: [{ index: block.toolIndex ?? 0, function: { arguments: partial } }] } }];
      }
      default:
        // signature_delta, citations_delta, …
        return [];
    }
  }
}

function indexOf(event: Record<string, unknown>): number {
  const index = event["index"];
  if (typeof index !== "number" || !Number.isInteger(index)) throw upstream(`${String(event["type"])} event without an index`);
  return index;
}

function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
