import { readFileSync } from "node:fs";
import { expect } from "chai";
import { isPlugin, PluginError, type PluginContext } from "@tessera/sdk";
import plugin, { calculate, convertUnits } from "../src/plugin.js";

const ctx = {} as PluginContext;
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  tessera: { contributes: { tools: { id: string; parameters: unknown; resultSchema?: unknown }[] }; permissions?: unknown };
};

/** Runs `invoke` (which may throw synchronously or reject) and returns the PluginError. */
async function rejection(invoke: () => unknown): Promise<PluginError> {
  try {
    await invoke();
  } catch (error) {
    expect(error).to.be.instanceOf(PluginError);
    return error as PluginError;
  }
  throw new Error("expected a rejection");
}

describe("calculator plugin", () => {
  it("exports a plugin whose tools match the manifest", () => {
    expect(isPlugin(plugin)).to.equal(true);
    const declared = pkg.tessera.contributes.tools;
    expect(declared.map((t) => t.id)).to.deep.equal(Object.keys(plugin.tools));
    for (const entry of declared) {
      const tool = plugin.tools[entry.id as keyof typeof plugin.tools];
      expect(JSON.parse(JSON.stringify(tool.parameters)), entry.id).to.deep.equal(entry.parameters);
      expect(JSON.parse(JSON.stringify(tool.resultSchema)), entry.id).to.deep.equal(entry.resultSchema);
    }
    expect(pkg.tessera.permissions).to.deep.equal({});
  });

  it("calculate returns the result and the expression", async () => {
    expect(await calculate.invoke({ expression: "2 * (3 + 4)" }, ctx)).to.deep.equal({ result: 14, expression: "2 * (3 + 4)" });
    expect(await calculate.invoke({ expression: "pi", precision: 3 }, ctx)).to.deep.equal({ result: 3.142, expression: "pi" });
  });

  it("calculate reports bad expressions as plugin_invalid_arguments", async () => {
    const error = await rejection(() => calculate.invoke({ expression: "(1 + 2))" }, ctx));
    expect(error.code).to.equal("plugin_invalid_arguments");
    expect(error.message).to.equal('unexpected ")" at 7');
    expect((await rejection(() => calculate.invoke({ expression: "1/0" }, ctx))).message).to.equal("division by zero at 1");
    expect((await rejection(() => calculate.invoke({ expression: "1", precision: 99 }, ctx))).code).to.equal("plugin_invalid_arguments");
  });

  it("convert-units converts and reports bad units as plugin_invalid_arguments", async () => {
    expect(await convertUnits.invoke({ value: 212, from: "F", to: "C" }, ctx)).to.deep.equal({
      result: 100,
      value: 212,
      from: "F",
      to: "C",
      category: "temperature",
    });
    const error = await rejection(() => convertUnits.invoke({ value: 1, from: "kg", to: "s" }, ctx));
    expect(error.code).to.equal("plugin_invalid_arguments");
  });
});
