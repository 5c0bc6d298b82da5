/**
 * Publishing through the real npm CLI to a real Verdaccio child process.
 */

import { expect } from "chai";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { addAccount, login, packument, search, type Registry } from "../src/index.js";
import { cleanup, makePlugin, npm, startTestRegistry, tempDir, validManifest } from "./support.js";

describe("publishing to the marketplace", function () {
  let registry: Registry | undefined;
  let token: string;
  let alicePassword: string;

  beforeEach(async function () {
    const storageDir = await tempDir("publish");
    registry = await startTestRegistry({ storageDir });
    // Registration is closed: the account is written to the registry's htpasswd, as the kernel does.
    alicePassword = (await addAccount(storageDir, "alice")).password;
    token = await login(registry.url, "alice", alicePassword);
  });

  afterEach(async function () {
    await registry?.stop();
    registry = undefined;
    await cleanup();
  });

  it("publishes a plugin with a valid manifest; it appears in search and in its packument", async function () {
    const dir = await makePlugin({ name: "tessera-plugin-echo" });
    const result = await npm(["publish"], { cwd: dir, registry: registry!.url, token });
    expect(result.code, result.stderr).to.equal(0);

    const found = await search(registry!.url, "tessera-plugin-echo");
    expect(found.objects.map((o) => o.package.name)).to.deep.equal(["tessera-plugin-echo"]);

    const doc = await packument(registry!.url, "tessera-plugin-echo");
    expect(doc?.["dist-tags"]).to.deep.equal({ latest: "1.0.0" });
    expect(doc?.versions["1.0.0"]?.tessera).to.deep.equal(validManifest());
    expect(doc?.versions["1.0.0"]?.dist?.tarball).to.match(/^http:\/\/127\.0\.0\.1:\d+\/tessera-plugin-echo\/-\/tessera-plugin-echo-1\.0\.0\.tgz$/);
  });

  it("publishes a scoped plugin", async function () {
    const dir = await makePlugin({ name: "@acme/tessera-echo" });
    const result = await npm(["publish", "--access", "public"], { cwd: dir, registry: registry!.url, token });
    expect(result.code, result.stderr).to.equal(0);
    const doc = await packument(registry!.url, "@acme/tessera-echo");
    expect(Object.keys(doc?.versions ?? {})).to.deep.equal(["1.0.0"]);
  });

  it("refuses at publish time a package without a tessera field, naming the problem", async function () {
    const dir = await makePlugin({ name: "plain-package", tessera: null });
    const result = await npm(["publish"], { cwd: dir, registry: registry!.url, token });
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.include("E400");
    expect(result.stderr).to.include('tessera is missing: a plugin\'s package.json must declare its manifest in a "tessera" field');
    expect(await packument(registry!.url, "plain-package")).to.equal(undefined);
  });

  it("refuses an invalid manifest, naming the field (tessera.contributes.tools[0].id)", async function () {
    const tessera = validManifest();
    (tessera["contributes"] as { tools: Array<Record<string, unknown>> }).tools[0]!["id"] = "Echo";
    const dir = await makePlugin({ name: "bad-tool-id", tessera });
    const result = await npm(["publish"], { cwd: dir, registry: registry!.url, token });
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.include("tessera.contributes.tools[0].id");
    expect(result.stderr).to.include("kebab-case");
    expect(await packument(registry!.url, "bad-tool-id")).to.equal(undefined);
  });

  it("publishes 1.1.0 of the same package and lists both versions", async function () {
    const first = await makePlugin({ name: "tessera-plugin-versions", version: "1.0.0" });
    expect((await npm(["publish"], { cwd: first, registry: registry!.url, token })).code).to.equal(0);
    const second = await makePlugin({ name: "tessera-plugin-versions", version: "1.1.0" });
    const result = await npm(["publish"], { cwd: second, registry: registry!.url, token });
    expect(result.code, result.stderr).to.equal(0);

    const doc = await packument(registry!.url, "tessera-plugin-versions");
    expect(Object.keys(doc?.versions ?? {})).to.have.members(["1.0.0", "1.1.0"]);
    expect(doc?.["dist-tags"]["latest"]).to.equal("1.1.0");
    // Search answers one hit per package, with the latest metadata.
    const hits = (await search(registry!.url, "tessera-plugin-versions")).objects;
    expect(hits).to.have.length(1);
    expect(hits[0]?.package["dist-tags"]).to.deep.equal({ latest: "1.1.0" });

    // Re-publishing an existing version is refused by Verdaccio itself.
    const again = await npm(["publish"], { cwd: second, registry: registry!.url, token });
    expect(again.code).to.not.equal(0);
    expect(again.stderr).to.match(/E409|EPUBLISHCONFLICT|cannot publish over|already present/i);
  });

  it("refuses unauthenticated publishes (npm with a bad token, and a raw PUT without credentials)", async function () {
    const dir = await makePlugin({ name: "tessera-plugin-anon" });
    const withBadToken = await npm(["publish"], { cwd: dir, registry: registry!.url, token: "not-a-real-token" });
    expect(withBadToken.code).to.not.equal(0);
    expect(withBadToken.stderr).to.match(/E401|E403|unauthorized|authorization|forbidden/i);

    // The guard passes anonymous requests to Verdaccio, which answers 401/403 itself.
    const pack = await npm(["pack", "--json"], { cwd: dir, registry: registry!.url });
    expect(pack.code, pack.stderr).to.equal(0);
    const body = await publishBody(dir, "tessera-plugin-anon", "1.0.0");
    const response = await fetch(`${registry!.url}/tessera-plugin-anon`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status).to.be.oneOf([401, 403]);
    expect(await packument(registry!.url, "tessera-plugin-anon")).to.equal(undefined);
  });

  it("refuses a publish whose tarball package.json does not match the published metadata", async function () {
    // Tarball without a manifest, metadata claiming a valid one: a hand-made client could send this.
    const dir = await makePlugin({ name: "tessera-plugin-liar", tessera: null });
    const pack = await npm(["pack"], { cwd: dir, registry: registry!.url });
    expect(pack.code, pack.stderr).to.equal(0);
    const body = await publishBody(dir, "tessera-plugin-liar", "1.0.0");
    (body.versions["1.0.0"] as Record<string, unknown>)["tessera"] = validManifest();
    const response = await fetch(`${registry!.url}/tessera-plugin-liar`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    expect(response.status).to.equal(400);
    const answer = (await response.json()) as { error: string };
    expect(answer.error).to.include("the package.json in the tarball is invalid");
    expect(answer.error).to.include("tessera is missing");
    expect(await packument(registry!.url, "tessera-plugin-liar")).to.equal(undefined);
  });

  it("lets an existing publisher log in for a new token", async function () {
    const again = await login(registry!.url, "alice", alicePassword);
    const dir = await makePlugin({ name: "tessera-plugin-login" });
    expect((await npm(["publish"], { cwd: dir, registry: registry!.url, token: again })).code).to.equal(0);
    let failed: unknown;
    try {
      await login(registry!.url, "alice", "wrong-password");
    } catch (error) {
      failed = error;
    }
    // With registration closed, Verdaccio answers a wrong password as a refused sign-up: 409.
    expect(String(failed)).to.match(/HTTP 409 - user registration disabled/);
  });

  it("never fetches from another registry: npm view left-pad answers 404", async function () {
    const dir = await tempDir("view");
    const result = await npm(["view", "left-pad", "version"], { cwd: dir, registry: registry!.url });
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.include("E404");
    expect(await packument(registry!.url, "left-pad")).to.equal(undefined);
  });
});

/** Builds the JSON body `npm publish` sends, from the tarball `npm pack` left in `dir`. */
async function publishBody(dir: string, name: string, version: string): Promise<{ versions: Record<string, unknown>; [k: string]: unknown }> {
  const tgzName = (await readdir(dir)).find((f) => f.endsWith(".tgz"));
  if (!tgzName) throw new Error("npm pack left no tarball");
  const tgz = await readFile(join(dir, tgzName));
  const packageJson = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
  const tarballName = `${name.replace(/^@[^/]+\//, "")}-${version}.tgz`;
  return {
    _id: name,
    name,
    "dist-tags": { latest: version },
    versions: {
      [version]: { ...packageJson, _id: `${name}@${version}`, dist: { tarball: `http://localhost/${name}/-/${tarballName}` } },
    },
    _attachments: { [tarballName]: { content_type: "application/octet-stream", data: tgz.toString("base64"), length: tgz.length } },
  };
}
