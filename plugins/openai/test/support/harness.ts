/**
 * Shared test setup: an {@link OpenAIServer} and the built plugin loaded in
 * the isolate test host (`createTestHost`), granted exactly that server.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { PluginError, type ChatChunk, type ChatParams } from "@tessera/sdk";
import { createTestHost, type TestHost } from "@tessera/sdk/testing";
import { OpenAIServer } from "./openai-server.js";

/** The plugin folder (its package.json and the built dist/plugin.js). */
export const pluginDir = fileURLToPath(new URL("../..", import.meta.url));

export const API_KEY = "sk-test-0123456789abcdef";

export interface Harness {
  readonly server: OpenAIServer;
  readonly host: TestHost;
  /** OpenAI-style credentials pointing at the test server, plus `extra`. */
  credentials(extra?: Record<string, string>): Record<string, string>;
  /** Azure credentials pointing at the test server (`base_url` is its origin), plus `extra`. */
  azureCredentials(extra?: Record<string, string>): Record<string, string>;
  /** Streams a chat of the `openai` provider through the isolate. */
  chat(request: ChatParams, credentials?: Record<string, unknown>): AsyncIterable<ChatChunk>;
  /** Calls a provider method through the isolate. */
  call(method: string, ...args: unknown[]): Promise<unknown>;
}

/** Registers mocha hooks that start the server and the host for the enclosing `describe`. */
export function useHarness(): Harness {
  let server: OpenAIServer | undefined;
  let host: TestHost | undefined;
  before(async () => {
    server = await OpenAIServer.start();
    host = await createTestHost({ pluginDir, grants: { hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${server.port}`] } });
  });
  after(async () => {
    await host?.close();
    await server?.close();
  });
  beforeEach(() => server?.reset());
  const harness: Harness = {
    get server() {
      if (!server) throw new Error("the server is not started");
      return server;
    },
    get host() {
      if (!host) throw new Error("the host is not started");
      return host;
    },
    credentials: (extra = {}) => ({ api_key: API_KEY, base_url: harness.server.baseUrl, ...extra }),
    azureCredentials: (extra = {}) => ({ api_type: "azure", api_key: "azure-key-123", base_url: harness.server.origin, ...extra }),
    chat: (request, credentials = harness.credentials()) => harness.host.chat("openai", request as ChatParams & { model: string }, credentials),
    call: (method, ...args) => harness.host.call("providers", "openai", method, args as never),
  };
  return harness;
}

/** Awaits `call`, expecting a PluginError, and returns it. */
export async function rejection(call: Promise<unknown>): Promise<PluginError> {
  try {
    await call;
  } catch (error) {
    expect(error).to.be.instanceOf(PluginError);
    return error as PluginError;
  }
  throw new Error("expected a rejection");
}

/** Reads a chat stream to its end; returns the chunks and the error that ended it, if any. */
export async function drain(stream: AsyncIterable<ChatChunk>): Promise<{ chunks: ChatChunk[]; error?: PluginError }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const c of stream) chunks.push(c);
  } catch (error) {
    expect(error).to.be.instanceOf(PluginError);
    return { chunks, error: error as PluginError };
  }
  return { chunks };
}

/** Reads a chat stream expecting it to fail; returns the error. */
export async function chatFailure(stream: AsyncIterable<ChatChunk>): Promise<PluginError> {
  const { error } = await drain(stream);
  if (!error) throw new Error("expected the chat to fail");
  return error;
}
