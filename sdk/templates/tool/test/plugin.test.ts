import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createTestHost } from "@tessera/sdk/testing";

// `tessera-plugin test` builds dist/plugin.js first; the host loads that bundle
// into an isolate exactly like the kernel does.
const pluginDir = fileURLToPath(new URL("..", import.meta.url));

describe("{{packageName}}", () => {
  let host: Awaited<ReturnType<typeof createTestHost>>;

  before(async () => {
    host = await createTestHost({ pluginDir });
  });

  after(async () => {
    await host?.close();
  });

  it("greets", async () => {
    const result = await host.invokeTool("greet", { name: "Ada" });
    assert.deepEqual(result, { greeting: "Hello, Ada!" });
  });

  it("shouts when asked to", async () => {
    const result = await host.invokeTool("greet", { name: "Ada", shout: true });
    assert.deepEqual(result, { greeting: "HELLO, ADA!" });
  });

  it("logs each greeting", async () => {
    await host.invokeTool("greet", { name: "Grace" });
    assert.ok(host.logs.some((line) => line.message === "greeted" && line.fields?.["name"] === "Grace"));
  });
});
