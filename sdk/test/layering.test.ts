import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { cruise, format, type ICruiseResult } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";

/**
 * Layering (issue #15 item 7; docs/architecture.md, "Layering"): the rules of
 * .dependency-cruiser.cjs over src/ — no import cycle, and the contract (what
 * `@tessera/sdk` exports) uses no Node built-in, no Node-only part of the SDK
 * and no npm package but the listed pure ones. `npm run layering` runs the same.
 */
const SDK = fileURLToPath(new URL("..", import.meta.url));
const CONFIG = fileURLToPath(new URL("../.dependency-cruiser.cjs", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/layering", import.meta.url));

async function cruiseSrc(baseDir: string): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(CONFIG);
  const { output } = await cruise(["src"], { ...options, baseDir });
  return output as ICruiseResult;
}

describe("layering (dependency-cruiser)", () => {
  it("src/ has no import cycle and the contract uses no Node", async () => {
    const result = await cruiseSrc(SDK);
    const report = result.summary.error ? String((await format(result, { outputType: "err" })).output) : "";
    expect(result.summary.error, report).to.equal(0);
    expect(result.summary.totalCruised).to.be.greaterThan(50);
  });

  it("flags a type-only cycle and a contract module importing Node, the runtime or an unlisted package", async () => {
    const { summary } = await cruiseSrc(FIXTURE);
    const found = summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^(\.\.\/)+/, "")}`).sort();
    expect(found).to.deep.equal([
      "contract-no-node-builtins: src/contract.ts -> crypto",
      "contract-not-node-parts: src/contract.ts -> src/runtime/host.ts",
      "contract-only-pure-libraries: src/contract.ts -> node_modules/isolated-vm/isolated-vm.js",
      "no-circular: src/contract.ts -> src/helper.ts",
    ]);
  });
});
