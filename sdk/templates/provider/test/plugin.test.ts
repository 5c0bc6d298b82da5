import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createTestHost } from "@tessera/sdk/testing";

// `tessera-plugin test` builds dist/plugin.js first; the host loads that bundle
// into an isolate exactly like the kernel does.
const pluginDir = fileURLToPath(new URL("..", import.meta.url));
const apiKey = process.env["OPENAI_API_KEY"];

describe("{{packageName}}", () => {
  let host: Awaited<ReturnType<typeof createTestHost>>;

  before(async () => {
    host = await createTestHost({
      pluginDir,
      grants: { hosts: ["api.openai.com"] },
    });
  });

  after(async () => {
    await host?.close();
  });

  it("loads in the test host with the declared host granted", () => {
    assert.deepEqual(host.manifest.permissions?.network?.hosts, ["api.openai.com"]);
  });

  it("streams a chat reply (needs OPENAI_API_KEY)", async function () {
    if (!apiKey) this.skip();
    let text = "";
    let finish: string | null | undefined;
    const request = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "Reply with the single word: pong" }], max_tokens: 5 };
    for await (const chunk of host.chat("openai-compatible", request, { api_key: apiKey })) {
      text += chunk.delta.content ?? "";
      finish = chunk.finish_reason ?? finish;
    }
    assert.match(text.toLowerCase(), /pong/);
    assert.ok(finish, "the last chunk carries a finish_reason");
  });

  it("reports a rejected API key as plugin_credentials_invalid (needs network)", async function () {
    if (!process.env["TESSERA_TEST_NETWORK"]) this.skip();
    await assert.rejects(
      async () => {
        const request = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "hi" }] };
        for await (const _ of host.chat("openai-compatible", request, { api_key: "sk-invalid" })) {
          // drain
        }
      },
      (error: { code?: string }) => error.code === "plugin_credentials_invalid",
    );
  });
});
