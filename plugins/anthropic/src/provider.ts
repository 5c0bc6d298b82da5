/**
 * The `anthropic` model provider.
 *
 * @module
 */

import { defineModelProvider, PluginError, type ChatChunk } from "@tessera/sdk";
import { credentialsSchema, endpointFor } from "./credentials.js";
import { ensureOk, transportError } from "./errors.js";
import { send } from "./http.js";
import { listModels } from "./models.js";
import { toAnthropicRequest } from "./request.js";
import { serverSentEvents, type ServerSentEvent } from "./sse.js";
import { MessageStreamTranslator } from "./stream.js";

export const anthropic = defineModelProvider({
  label: "Anthropic",
  credentialsSchema,

  async validateCredentials(credentials, ctx) {
    const endpoint = endpointFor(credentials);
    const res = await send(ctx, `${endpoint.baseUrl}/v1/models?limit=1`, { headers: endpoint.headers });
    await ensureOk(res);
    await res.text().catch(() => "");
  },

  listModels(credentials, ctx) {
    return listModels(endpointFor(credentials), ctx);
  },

  async *chat(request, ctx): AsyncGenerator<ChatChunk> {
    const { credentials, signal: _signal, ...params } = request;
    const endpoint = endpointFor(credentials);
    const body = toAnthropicRequest(params, (message, fields) => ctx.log.warn(message, fields));
    if (ctx.signal.aborted) throw new PluginError("plugin_cancelled", "the chat was cancelled");
    const res = await send(ctx, `${endpoint.baseUrl}/v1/messages`, {
      method: "POST",
      headers: { ...endpoint.headers, accept: "text/event-stream" },
      body: JSON.stringify(body),
    });
    await ensureOk(res);
    if (!res.body) throw new PluginError("plugin_upstream_error", "Anthropic: the response to POST /v1/messages has no body");
    const translator = new MessageStreamTranslator();
    const events = serverSentEvents(res.body, ctx.signal);
    try {
      for (;;) {
        let step: IteratorResult<ServerSentEvent>;
        try {
          step = await events.next();
        } catch (error) {
          throw transportError(error, "reading the response stream");
        }
        if (step.done) break;
        yield* translator.push(step.value);
        if (translator.done) return;
      }
      translator.end();
    } finally {
      // Releases the connection: after message_stop, on an error, or when the consumer stops early.
      await events.return(undefined).catch(() => undefined);
    }
  },
});
