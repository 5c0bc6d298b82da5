import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { DEFAULT_TEST_SPEC, mochaArgs } from "../../src/cli/test-command.js";
import { cli, makeTempDir, removeTempDir, SDK_DIR } from "./helpers.js";

describe("tessera-plugin", () => {
  let tmp: string;
  before(() => (tmp = makeTempDir()));
  after(() => removeTempDir(tmp));

  it("prints usage for --help and exits 0", async () => {
    const run = await cli(tmp, "--help");
    expect(run.code).to.equal(0);
    expect(run.stdout.join("\n")).to.include("Usage: tessera-plugin <command>").and.include("init <name> --kind <kind>");
  });

  it("rejects an unknown command with one line and exit code 2", async () => {
    const run = await cli(tmp, "frobnicate");
    expect(run.code).to.equal(2);
    expect(run.stderr).to.deep.equal(['tessera-plugin: unknown command "frobnicate" (run tessera-plugin --help)']);
  });

  it("rejects a missing command and unknown options with exit code 2", async () => {
    expect((await cli(tmp)).code).to.equal(2);
    const run = await cli(tmp, "build", "--frob");
    expect(run.code).to.equal(2);
    expect(run.stderr).to.deep.equal(['tessera-plugin: build: unknown option "--frob"']);
    expect((await cli(tmp, "build", "--dir")).stderr).to.deep.equal(["tessera-plugin: build: option --dir needs a value"]);
  });

  it("runs as an executable with a shebang and reports exit codes", () => {
    const main = join(SDK_DIR, "src", "cli", "main.ts");
    const ok = spawnSync(process.execPath, ["--import", "tsx", main, "--help"], { encoding: "utf8" });
    expect(ok.status).to.equal(0);
    expect(ok.stdout).to.include("Usage: tessera-plugin");
    const bad = spawnSync(process.execPath, ["--import", "tsx", main, "nope"], { encoding: "utf8" });
    expect(bad.status).to.equal(2);
    expect(bad.stderr.trim().split("\n")).to.deep.equal(['tessera-plugin: unknown command "nope" (run tessera-plugin --help)']);
  });

  it("is declared as the package's bin", async () => {
    const { default: pkg } = (await import("../../package.json", { with: { type: "json" } })) as { default: { bin: Record<string, string>; files: string[] } };
    // A committed shim (bin/) rather than dist/, so npm links it on a fresh clone before the build runs.
    expect(pkg.bin).to.deep.equal({ "tessera-plugin": "bin/tessera-plugin.js" });
    expect(pkg.files).to.include.members(["templates", "bin"]);
    const shim = join(SDK_DIR, "bin", "tessera-plugin.js");
    expect(statSync(shim).mode & 0o111, "bin/tessera-plugin.js is executable").to.not.equal(0);
    const help = spawnSync(shim, ["--help"], { encoding: "utf8" });
    expect(help.status).to.equal(0);
    expect(help.stdout).to.contain("tessera-plugin");
  });

  describe("test", () => {
    // `tessera-plugin test` end-to-end needs @tessera/sdk/testing's isolate host; here only its command line is checked.
    it("runs mocha under node --no-node-snapshot with tsx, using the default spec without a mocha config", () => {
      const args = mochaArgs(tmp, ["--grep", "x"]);
      expect(args.slice(0, 2)).to.deep.equal(["--no-node-snapshot", "--import"]);
      expect(args[2]).to.match(/^file:\/\/.*\/tsx\//);
      expect(args[3]).to.match(/mocha[\\/]bin[\\/]mocha\.js$/);
      expect(args).to.include(DEFAULT_TEST_SPEC);
      expect(args.slice(-2)).to.deep.equal(["--grep", "x"]);
    });

    it("leaves the spec to the plugin's own mocha config when it has one", () => {
      expect(mochaArgs(SDK_DIR, [])).to.not.include(DEFAULT_TEST_SPEC);
    });
  });

  describe("pack", () => {
    it("builds, then creates the tarball with npm pack and prints its path and integrity", async function () {
      this.timeout(120_000);
      expect((await cli(tmp, "init", "@acme/tessera-plugin-packed", "--kind", "tool", "--dir", "packed")).code).to.equal(0);
      const run = await cli(tmp, "pack", "--dir", "packed");
      expect(run.stderr).to.deep.equal([]);
      expect(run.code).to.equal(0);
      const tarballLine = run.stdout.find((l) => l.startsWith("tarball: "));
      const integrityLine = run.stdout.find((l) => l.startsWith("integrity: "));
      const tarball = tarballLine?.slice("tarball: ".length) ?? "";
      expect(tarball).to.equal(join(tmp, "packed", "acme-tessera-plugin-packed-0.1.0.tgz"));
      expect(existsSync(tarball)).to.equal(true);
      expect(integrityLine).to.match(/^integrity: sha512-[A-Za-z0-9+/]+=*$/);
    });

    it("does not pack a plugin whose build fails", async () => {
      const run = await cli(tmp, "pack", "--dir", "nothing-here");
      expect(run.code).to.equal(1);
      expect(run.stderr).to.have.length(1);
    });
  });
});
