/**
 * Checking tool arguments against the tool's TypeBox `parameters` inside the
 * plugin, before `invoke` runs, so a model's malformed tool call fails with
 * `plugin_invalid_arguments` naming the field instead of reaching plugin code.
 *
 * @module
 */
import { Kind, type TSchema } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { PluginError } from "./errors.js";

/**
 * Throws `plugin_invalid_arguments` when `args` does not match `schema`.
 * Only TypeBox schemas are checked (plain JSON Schema objects are trusted as
 * documentation); unknown string formats are annotations, as JSON Schema says.
 *
 * @param schema - The tool's `parameters`.
 * @param args - The arguments received.
 */
export function checkArguments(schema: unknown, args: unknown): void {
  if (typeof schema !== "object" || schema === null || !(Kind in schema)) return;
  for (const error of Value.Errors(schema as TSchema, args)) {
    if (error.type === ValueErrorType.StringFormatUnknown) continue;
    const field = error.path ? `arguments${error.path.replace(/\//g, ".")}` : "arguments";
    throw new PluginError("plugin_invalid_arguments", `${field}: ${error.message}`, { details: { path: error.path } });
  }
}
