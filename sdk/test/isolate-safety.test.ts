import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { build, type Plugin } from "esbuild";

const entry = fileURLToPath(new URL("../src/index.ts", import.meta.url));
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** An esbuild plugin that records every Node built-in the bundle tries to import. */
function recordBuiltins(found: string[]): Plugin {
  return {
    name: "record-node-builtins",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (NODE_BUILTINS.has(args.path) || args.path.startsWith("node:")) {
          found.push(`${args.path} (imported by ${args.importer})`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
}

describe("isolate safety", () => {
  it("bundles the public entry point for a neutral platform without importing any Node built-in", async () => {
    const found: string[] = [];
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "neutral",
      format: "esm",
      logLevel: "silent",
      plugins: [recordBuiltins(found)],
    });
    expect(found, "Node built-ins reachable from src/index.ts").to.deep.equal([]);
    const code = result.outputFiles[0]?.text ?? "";
    expect(code).to.not.match(/\brequire\(|\bprocess\.|\bBuffer\./);
  });
});
