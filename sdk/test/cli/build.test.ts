import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { isNodeBuiltin } from "../../src/cli/build.js";
import { isPlugin, type Plugin } from "../../src/index.js";
import { cli, makeTempDir, removeTempDir } from "./helpers.js";

describe("tessera-plugin build", () => {
  let tmp: string;
  let dir: string;

  before(async () => {
    tmp = makeTempDir();
    const run = await cli(tmp, "init", "@acme/tessera-plugin-greeter", "--kind", "tool", "--dir", "greeter");
    expect(run.code).to.equal(0);
    dir = join(tmp, "greeter");
  });
  after(() => removeTempDir(tmp));

  it("bundles a scaffolded tool plugin into dist/plugin.js as one isolate-safe ES module", async () => {
    const run = await cli(dir, "build");
    expect(run.stderr).to.deep.equal([]);
    expect(run.code).to.equal(0);
    expect(run.stdout.join("\n")).to.match(/built dist\/plugin\.js \(.+\) from src\/plugin\.ts for @acme\/tessera-plugin-greeter@0\.1\.0/);
    const file = join(dir, "dist", "plugin.js");
    expect(existsSync(file)).to.equal(true);
    const code = readFileSync(file, "utf8");
    expect(code).to.match(/^export \{/m);
    expect(code).to.not.match(/\brequire\(/);
    expect(code).to.not.match(/["']node:/);
    expect(code).to.not.match(/^import /m);
    expect(code).to.not.match(/sourceMappingURL/);
  });

  it("produces a bundle whose default export is the plugin with the tool", async () => {
    const mod = (await import(`${pathToFileURL(join(dir, "dist", "plugin.js")).href}?t=${Date.now()}`)) as { default: Plugin };
    expect(isPlugin(mod.default)).to.equal(true);
    expect(Object.keys(mod.default.tools)).to.deep.equal(["greet"]);
    const greet = mod.default.tools["greet"];
    expect(greet?.kind).to.equal("tool");
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { tessera: { contributes: { tools: { parameters: unknown }[] } } };
    expect(JSON.parse(JSON.stringify(greet?.parameters))).to.deep.equal(pkg.tessera.contributes.tools[0]?.parameters);
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    expect(await greet?.invoke({ name: "Ada", shout: true }, { log } as never)).to.deep.equal({ greeting: "HELLO, ADA!" });
  });

  it("honours --minify and --sourcemap", async () => {
    const plain = readFileSync(join(dir, "dist", "plugin.js"), "utf8").length;
    const run = await cli(tmp, "build", "--dir", "greeter", "--minify", "--sourcemap");
    expect(run.code).to.equal(0);
    const code = readFileSync(join(dir, "dist", "plugin.js"), "utf8");
    expect(code).to.include("//# sourceMappingURL=data:application/json;base64,");
    expect(code.slice(0, code.indexOf("//# sourceMappingURL")).length).to.be.below(plain);
  });

  it("writes to tessera.main and bundles the package.json source field", async () => {
    const alt = join(tmp, "alt");
    expect((await cli(tmp, "init", "alt-plugin", "--kind", "tool", "--dir", "alt")).code).to.equal(0);
    const pkgFile = join(alt, "package.json");
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { source?: string; tessera: { main?: string } };
    pkg.source = "src/entry.ts";
    pkg.tessera.main = "build/bundle.mjs";
    writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
    writeFileSync(join(alt, "src", "entry.ts"), 'export { default } from "./plugin.js";\n');
    const run = await cli(alt, "build");
    expect(run.stderr).to.deep.equal([]);
    expect(run.code).to.equal(0);
    expect(existsSync(join(alt, "build", "bundle.mjs"))).to.equal(true);
  });

  it("refuses a plugin that imports Node built-ins, naming each import on its own line", async () => {
    const bad = join(tmp, "bad");
    expect((await cli(tmp, "init", "bad-plugin", "--kind", "tool", "--dir", "bad")).code).to.equal(0);
    writeFileSync(join(bad, "src", "io.ts"), 'import { readFileSync } from "node:fs";\nimport { exec } from "child_process";\nexport const io = [readFileSync, exec];\n');
    const source = readFileSync(join(bad, "src", "plugin.ts"), "utf8");
    writeFileSync(join(bad, "src", "plugin.ts"), `import { io } from "./io.js";\nexport const keep = io;\n${source}`);
    const run = await cli(bad, "build");
    expect(run.code).to.equal(1);
    expect(run.stderr).to.deep.equal([
      'tessera-plugin: src/io.ts imports the Node built-in "node:fs"; plugins run in an isolate without Node APIs',
      'tessera-plugin: src/io.ts imports the Node built-in "child_process"; plugins run in an isolate without Node APIs',
    ]);
    expect(existsSync(join(bad, "dist", "plugin.js"))).to.equal(false);
  });

  it("validates the manifest first and prints each error as path: message", async () => {
    const broken = join(tmp, "broken");
    expect((await cli(tmp, "init", "broken-plugin", "--kind", "tool", "--dir", "broken")).code).to.equal(0);
    const pkgFile = join(broken, "package.json");
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { tessera: Record<string, unknown> };
    pkg.tessera["apiVersion"] = "^9.0.0";
    pkg.tessera["extra"] = true;
    writeFileSync(pkgFile, JSON.stringify(pkg));
    const run = await cli(broken, "build");
    expect(run.code).to.equal(1);
    expect(run.stderr).to.have.length(2);
    expect(run.stderr).to.satisfy((lines: string[]) => lines.some((l) => l.startsWith('tessera-plugin: tessera.extra: unknown field "extra"')));
    expect(run.stderr).to.satisfy((lines: string[]) => lines.some((l) => l.startsWith('tessera-plugin: tessera.apiVersion: requires plugin API "^9.0.0"')));
    expect(existsSync(join(broken, "dist"))).to.equal(false);
  });

  it("fails when the manifest and the code disagree", async () => {
    const drift = join(tmp, "drift");
    expect((await cli(tmp, "init", "drift-plugin", "--kind", "tool", "--dir", "drift")).code).to.equal(0);
    const pkgFile = join(drift, "package.json");
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as {
      tessera: { contributes: { tools: { id: string; parameters: { required: string[] } }[] } };
    };
    const tool = pkg.tessera.contributes.tools[0]!;
    tool.parameters.required = [];
    pkg.tessera.contributes.tools.push({ ...tool, id: "missing" });
    writeFileSync(pkgFile, JSON.stringify(pkg));
    const run = await cli(drift, "build");
    expect(run.code).to.equal(1);
    expect(run.stderr).to.have.length(2);
    expect(run.stderr[0]).to.match(/^tessera-plugin: tessera\.contributes\.tools\[0\]\.parameters: differs from parameters in the code of tools\["greet"\]/);
    expect(run.stderr[1]).to.equal('tessera-plugin: tessera.contributes.tools[1].id: "missing" is declared but the plugin does not export tools["missing"]');
    expect((await cli(drift, "build", "--no-verify")).code).to.equal(0);
  });

  it("fails with one line when there is no package.json", async () => {
    const run = await cli(tmp, "build", "--dir", "does-not-exist");
    expect(run.code).to.equal(1);
    expect(run.stderr).to.have.length(1);
    expect(run.stderr[0]).to.match(/^tessera-plugin: no package\.json in /);
  });

  it("recognises Node built-ins", () => {
    for (const name of ["node:fs", "fs", "fs/promises", "child_process", "node:test", "path", "crypto"]) {
      expect(isNodeBuiltin(name), name).to.equal(true);
    }
    for (const name of ["@tessera/sdk", "htmlparser2", "fsx", "./fs"]) expect(isNodeBuiltin(name), name).to.equal(false);
  });
});
