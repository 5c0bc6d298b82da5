import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { NodeContext } from "@tessera/sdk";
import { createTestHost } from "@tessera/sdk/testing";
import { changeCase } from "../src/plugin.js";

const pluginDir = fileURLToPath(new URL("..", import.meta.url));

describe("{{packageName}}", () => {
  it("loads in the test host (the same isolate runtime as the kernel)", async () => {
    const host = await createTestHost({ pluginDir });
    await host.close();
  });

  describe("change-case", () => {
    // The node does not use its context, so a stub is enough for unit tests.
    const ctx = {} as NodeContext<never>;

    it("upper-cases text and continues on the source handle", async () => {
      const result = await changeCase.run({ config: { mode: "upper" }, inputs: { text: "Hello" } }, ctx);
      assert.deepEqual(result, { outputs: { text: "HELLO", length: 5 }, handle: "source" });
    });

    it("continues on the empty handle for empty text", async () => {
      const result = await changeCase.run({ config: { mode: "lower" }, inputs: { text: "" } }, ctx);
      assert.deepEqual(result, { outputs: { text: "", length: 0 }, handle: "empty" });
    });
  });
});
