import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { PLUGIN_KINDS } from "../../src/cli/init.js";
import { packageNameProblem } from "../../src/cli/package-name.js";
import { parseManifest } from "../../src/index.js";
import { cli, makeTempDir, removeTempDir } from "./helpers.js";

const GROUP_OF_KIND = { tool: "tools", provider: "modelProviders", node: "nodes", "vector-store": "vectorStores" } as const;

describe("tessera-plugin init", () => {
  let tmp: string;
  before(() => (tmp = makeTempDir()));
  after(() => removeTempDir(tmp));

  for (const kind of PLUGIN_KINDS) {
    it(`scaffolds a ${kind} plugin with a valid manifest`, async () => {
      const name = `@acme/tessera-plugin-${kind}`;
      const run = await cli(tmp, "init", name, "--kind", kind, "--dir", `init-${kind}`);
      expect(run.stderr).to.deep.equal([]);
      expect(run.code).to.equal(0);
      const dir = join(tmp, `init-${kind}`);
      for (const file of ["package.json", "src/plugin.ts", "test/plugin.test.ts", "tsconfig.json", "README.md", ".gitignore"]) {
        expect(existsSync(join(dir, file)), file).to.equal(true);
      }
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
      const result = parseManifest(pkg);
      expect(result.ok, JSON.stringify(result)).to.equal(true);
      if (!result.ok) return;
      expect(result.name).to.equal(name);
      expect(result.manifest.apiVersion).to.equal("^1.0.0");
      expect(result.manifest.contributes[GROUP_OF_KIND[kind]]).to.have.length(1);
      expect(result.manifest.permissions).to.be.an("object");
      expect(pkg["scripts"]).to.include({ build: "tessera-plugin build", test: "tessera-plugin test", pack: "tessera-plugin pack" });
      expect(pkg["devDependencies"]).to.have.property("@tessera/sdk", "^0.1.0");
      expect(pkg["keywords"]).to.deep.equal(["tessera-plugin"]);
      const source = readFileSync(join(dir, "src/plugin.ts"), "utf8");
      expect(source).to.match(/export default definePlugin\(/);
      expect(source).to.not.match(/\{\{\w+\}\}/);
      const test = readFileSync(join(dir, "test/plugin.test.ts"), "utf8");
      expect(test).to.include('from "@tessera/sdk/testing"').and.include("createTestHost({");
      expect(readFileSync(join(dir, "README.md"), "utf8")).to.include(name);
    });
  }

  it("declares a network host for the provider scaffold", async () => {
    const pkg = JSON.parse(readFileSync(join(tmp, "init-provider", "package.json"), "utf8")) as {
      tessera: { permissions: { network: { hosts: string[] } } };
    };
    expect(pkg.tessera.permissions.network.hosts).to.deep.equal(["api.openai.com"]);
  });

  it("defaults the directory to the unscoped package name", async () => {
    const run = await cli(tmp, "init", "@acme/defaulted", "--kind", "tool");
    expect(run.code).to.equal(0);
    expect(existsSync(join(tmp, "defaulted", "package.json"))).to.equal(true);
  });

  it("rejects an invalid package name with one line and exit code 2", async () => {
    const run = await cli(tmp, "init", "My Plugin", "--kind", "tool");
    expect(run.code).to.equal(2);
    expect(run.stderr).to.have.length(1);
    expect(run.stderr[0]).to.match(/^tessera-plugin: invalid package name "My Plugin": /);
    expect(existsSync(join(tmp, "My Plugin"))).to.equal(false);
  });

  it("rejects a missing or unknown kind with exit code 2", async () => {
    const missing = await cli(tmp, "init", "some-plugin");
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.deep.equal(["tessera-plugin: init: missing --kind (one of tool, provider, node, vector-store)"]);
    const unknown = await cli(tmp, "init", "some-plugin", "--kind", "widget");
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr[0]).to.match(/unknown kind "widget"/);
  });

  it("refuses to overwrite a non-empty directory", async () => {
    const run = await cli(tmp, "init", "other", "--kind", "tool", "--dir", "init-tool");
    expect(run.code).to.equal(1);
    expect(run.stderr).to.have.length(1);
    expect(run.stderr[0]).to.match(/already exists and is not an empty directory/);
  });

  describe("package name rules", () => {
    const valid = ["calc", "@acme/calc", "tessera-plugin-x.y_z1", "a".repeat(214)];
    const invalid = ["", "Calc", " calc", ".calc", "_calc", "@acme", "@/calc", "@acme/", "a/b", "ca lc", "calc!", "calc~1", "fs", "node_modules", "a".repeat(215), "@acme/_x"];
    for (const name of valid) it(`accepts ${label(name)}`, () => expect(packageNameProblem(name)).to.equal(undefined));
    for (const name of invalid) it(`rejects ${label(name)}`, () => expect(packageNameProblem(name)).to.be.a("string"));
  });
});

function label(name: string): string {
  return name.length > 30 ? `${JSON.stringify(name.slice(0, 8))}... (${name.length} characters)` : JSON.stringify(name);
}
