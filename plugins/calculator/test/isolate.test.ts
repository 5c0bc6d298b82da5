import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { PluginError } from "@tessera/sdk";
import { createTestHost, type TestHost } from "@tessera/sdk/testing";

// The built bundle (dist/plugin.js), loaded into a V8 isolate exactly as the
// kernel loads it: no Node APIs, no permissions granted, errors crossing the
// capability bridge as JSON. `tessera-plugin test` builds it first.
const pluginDir = fileURLToPath(new URL("..", import.meta.url));

/** Awaits `call`, expecting it to reject with a PluginError, and returns that error. */
async function rejection(call: Promise<unknown>): Promise<PluginError> {
  try {
    await call;
  } catch (error) {
    expect(error).to.be.instanceOf(PluginError);
    return error as PluginError;
  }
  throw new Error("expected a rejection");
}

describe("calculator in the isolate test host", () => {
  let host: TestHost;

  before(async () => {
    host = await createTestHost({ pluginDir });
  });

  after(async () => {
    await host?.close();
  });

  it("loads the bundle with the manifest's tools and asks for no permissions", () => {
    expect(host.manifest.contributes.tools?.map((tool) => tool.id)).to.deep.equal(["calculate", "convert-units"]);
    expect(host.manifest.permissions).to.deep.equal({});
  });

  it("evaluates expressions", async () => {
    expect(await host.invokeTool("calculate", { expression: "2 * (3 + 4)" })).to.deep.equal({ result: 14, expression: "2 * (3 + 4)" });
    expect(await host.invokeTool("calculate", { expression: "2 ^ 10 - sqrt(16)" })).to.deep.equal({ result: 1020, expression: "2 ^ 10 - sqrt(16)" });
    expect(await host.invokeTool("calculate", { expression: "pi", precision: 3 })).to.deep.equal({ result: 3.142, expression: "pi" });
    expect(await host.invokeTool("calculate", { expression: "max(1, 7, 3) % 4" })).to.deep.equal({ result: 3, expression: "max(1, 7, 3) % 4" });
  });

  it("converts units", async () => {
    expect(await host.invokeTool("convert-units", { value: 212, from: "F", to: "C" })).to.deep.equal({
      result: 100,
      value: 212,
      from: "F",
      to: "C",
      category: "temperature",
    });
  });

  it("reports a bad expression as plugin_invalid_arguments, code and message intact across the bridge", async () => {
    const error = await rejection(host.invokeTool("calculate", { expression: "(1 + 2))" }));
    expect(error.code).to.equal("plugin_invalid_arguments");
    expect(error.status).to.equal(400);
    expect(error.message).to.equal('plugin @tessera/plugin-calculator@0.1.0: unexpected ")" at 7');
    expect((await rejection(host.invokeTool("calculate", { expression: "1/0" }))).message).to.contain("division by zero at 1");
    expect((await rejection(host.invokeTool("convert-units", { value: 1, from: "kg", to: "s" }))).code).to.equal("plugin_invalid_arguments");
  });

  it("keeps serving after a failed call", async () => {
    await rejection(host.invokeTool("calculate", { expression: "sqrt(" }));
    expect(await host.invokeTool("calculate", { expression: "1 + 1" })).to.deep.equal({ result: 2, expression: "1 + 1" });
  });
});
