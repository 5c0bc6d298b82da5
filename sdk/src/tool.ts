/**
 * The tool extension point: functions that agents, LLM tool calls and
 * workflow tool nodes can invoke.
 *
 * @module
 */

import type { PluginContext } from "./context.js";
import type { Awaitable, InferSchema, JsonSchema, JsonValue } from "./json.js";

/** A streamed piece of a tool's progress (e.g. text shown while it runs). */
export interface ToolChunkEvent {
  /** Discriminator. */
  readonly type: "chunk";
  /** The text fragment. */
  readonly text: string;
}

/** The final event of a streamed tool invocation. */
export interface ToolResultEvent<R extends JsonValue = JsonValue> {
  /** Discriminator. */
  readonly type: "result";
  /** The tool's result. */
  readonly result: R;
}

/** An event of a streamed invocation: any number of chunks, then exactly one result. */
export type ToolEvent<R extends JsonValue = JsonValue> = ToolChunkEvent | ToolResultEvent<R>;

/**
 * What a plugin author writes to implement a tool (see {@link defineTool}).
 *
 * Invalid arguments are rejected by the kernel before `invoke` runs, using
 * `parameters`; tools throw `plugin_invalid_arguments` only for semantic
 * problems the schema cannot express.
 *
 * @typeParam P - The parameters schema; a TypeBox schema types `args`.
 * @typeParam R - The result type; must be JSON-serialisable.
 */
export interface ToolDefinition<P extends JsonSchema = JsonSchema, R extends JsonValue = JsonValue> {
  /** Display name. */
  readonly label?: string;
  /** What the tool does; shown to LLMs when the tool is offered for tool calling. */
  readonly description?: string;
  /** JSON Schema of the arguments object (`type: "object"`). */
  readonly parameters: P;
  /** Optional JSON Schema of the result, for workflow variable typing. */
  readonly resultSchema?: JsonSchema;
  /** Runs the tool. */
  invoke(args: InferSchema<P>, ctx: PluginContext): Awaitable<R>;
  /**
   * Runs the tool, streaming progress. When present the kernel uses it for
   * callers that display progress and `invoke` for everyone else; both must
   * produce the same result.
   */
  stream?(args: InferSchema<P>, ctx: PluginContext): AsyncIterable<ToolEvent<R>>;
}

/**
 * A tool contribution, as returned by {@link defineTool}.
 *
 * @typeParam P - The parameters schema.
 * @typeParam R - The result type.
 */
export interface Tool<P extends JsonSchema = JsonSchema, R extends JsonValue = JsonValue> extends ToolDefinition<P, R> {
  /** Discriminator attached by {@link defineTool}. */
  readonly kind: "tool";
}
