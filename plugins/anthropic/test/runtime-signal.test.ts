import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import type { ChatChunk, JsonValue } from "@tessera/sdk";
import { createGuardedFetch, IsolateRuntime } from "@tessera/sdk/runtime";
import { createMemoryCapabilities } from "@tessera/sdk/testing";
import { AnthropicServer, messageStart, textBlock } from "./support/anthropic-server.js";

// The test host cannot cancel a call, so this drives the kernel's IsolateRuntime
// directly with a caller signal, as the kernel does when a client disconnects.
const pluginDir = fileURLToPath(new URL("..", import.meta.url));

describe("anthropic provider cancelled by the caller's signal (isolate runtime)", () => {
  const server = new AnthropicServer();
  let runtime: IsolateRuntime;

  before(async () => {
    await server.start();
    runtime = new IsolateRuntime({ name: "@tessera/plugin-anthropic@test", code: await readFile(join(pluginDir, "dist/plugin.js"), "utf8") });
    await runtime.activate();
  });

  after(async () => {
    await runtime?.dispose();
    await server.stop();
  });

  it("aborts mid-stream: the call fails with plugin_cancelled and the server sees the connection close", async () => {
    server.on("POST", "/v1/messages", { sse: messageStart() + textBlock(0, ["one"]).split("event: content_block_stop")[0]!, after: "hold" });
    const controller = new AbortController();
    const capabilities = createMemoryCapabilities({ fetch: createGuardedFetch({ grant: server.grants }) });
    const request = { model: "claude-sonnet-4-20250514", messages: [{ role: "user", content: "Hi" }], credentials: { api_key: "k", base_url: server.base } };
    const stream = runtime.stream({ group: "providers", id: "anthropic", method: "chat" }, [request as unknown as JsonValue], { workspaceId: "w", capabilities, signal: controller.signal });
    const seen: ChatChunk[] = [];
    let code: string | undefined;
    try {
      for await (const chunk of stream) {
        seen.push(chunk as unknown as ChatChunk);
        controller.abort();
      }
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(seen.map((c) => c.delta.content)).to.deep.equal(["one"]);
    expect(code).to.equal("plugin_cancelled");
    expect((await server.last.closed).aborted).to.equal(true);
  });
});
