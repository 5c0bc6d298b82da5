import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { filter, type PluginContext } from "@tessera/sdk";
import { createTestHost } from "@tessera/sdk/testing";
import { memory } from "../src/plugin.js";

const pluginDir = fileURLToPath(new URL("..", import.meta.url));

describe("{{packageName}}", () => {
  it("loads in the test host (the same isolate runtime as the kernel)", async () => {
    const host = await createTestHost({ pluginDir });
    await host.close();
  });

  describe("memory vector store", () => {
    // The store only reads ctx.workspaceId, so a stub is enough for unit tests.
    const ctx = { workspaceId: "ws-test" } as PluginContext;

    it("returns the most similar points first, honouring filters", async () => {
      await memory.ensureCollection({ name: "docs", dimension: 2, metric: "cosine" }, ctx);
      await memory.upsert(
        "docs",
        [
          { id: "a", vector: [1, 0], payload: { lang: "en" } },
          { id: "b", vector: [0, 1], payload: { lang: "de" } },
          { id: "c", vector: [0.9, 0.1], payload: { lang: "de" } },
        ],
        ctx,
      );
      const hits = await memory.search("docs", { vector: [1, 0], k: 2 }, ctx);
      assert.deepEqual(hits.map((h) => h.id), ["a", "c"]);
      const german = await memory.search("docs", { vector: [1, 0], k: 5, filter: filter.eq("lang", "de") }, ctx);
      assert.deepEqual(german.map((h) => h.id), ["c", "b"]);
    });

    it("rejects vectors of the wrong dimension", async () => {
      await memory.ensureCollection({ name: "docs", dimension: 2, metric: "cosine" }, ctx);
      assert.throws(() => memory.upsert("docs", [{ id: "x", vector: [1, 2, 3], payload: {} }], ctx), /3 dimensions/);
    });
  });
});
