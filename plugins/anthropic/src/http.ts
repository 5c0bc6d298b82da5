/**
 * HTTP helpers.
 *
 * @module
 */

import type { FetchInit, FetchResponse, PluginContext } from "@tessera/sdk";
import { transportError } from "./errors.js";

/** `ctx.fetch`, with transport failures (refused, reset, not granted) described. */
export async function send(ctx: PluginContext, url: string, init: FetchInit): Promise<FetchResponse> {
  try {
    return await ctx.fetch(url, init);
  } catch (error) {
    throw transportError(error, `${init.method ?? "GET"} ${url.replace(/\?.*$/, "")}`);
  }
}
