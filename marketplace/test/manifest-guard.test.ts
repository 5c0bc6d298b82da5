/**
 * The guard's decision logic, without a registry.
 */

import { expect } from "chai";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { checkPublishBody, parseSize, readPackageJsonFromTarball } from "../src/index.js";
import { cleanup, makePlugin, npm, validManifest } from "./support.js";

function pkg(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "tessera-plugin-x", version: "1.0.0", tessera: validManifest(), ...extra };
}

/** A minimal ustar archive with the given files. */
function tar(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100);
    header.write("0000644\0", 100);
    header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    header.write("        ", 148);
    header.write("0", 156);
    header.write("ustar\0", 257);
    header.write("00", 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

function body(packageJson: Record<string, unknown>, tarballJson: Record<string, unknown> = packageJson): Record<string, unknown> {
  const tgz = tar({ "package/package.json": JSON.stringify(tarballJson), "package/dist/plugin.js": "export default {}" });
  return {
    name: packageJson["name"],
    versions: { [String(packageJson["version"])]: packageJson },
    _attachments: { "x-1.0.0.tgz": { data: tgz.toString("base64") } },
  };
}

describe("the manifest guard's checks", function () {
  after(cleanup);

  it("accepts a publish whose metadata and tarball carry the same valid manifest", function () {
    expect(checkPublishBody(body(pkg()))).to.deep.equal({ ok: true, publishes: ["tessera-plugin-x@1.0.0"] });
  });

  it("lets metadata-only updates through (deprecate, star, unpublish step): they cannot add versions", function () {
    expect(checkPublishBody({ name: "x", versions: { "1.0.0": { name: "x" } }, _attachments: {} }).ok).to.equal(true);
    expect(checkPublishBody({ _id: "x", users: { alice: true } }).ok).to.equal(true);
    expect(checkPublishBody(undefined).ok).to.equal(true);
  });

  it("refuses a missing manifest with the path and reason", function () {
    const result = checkPublishBody(body(pkg({ tessera: undefined })));
    expect(result.ok).to.equal(false);
    if (!result.ok) {
      expect(result.status).to.equal(400);
      expect(result.error).to.include("refused to publish tessera-plugin-x@1.0.0");
      expect(result.error).to.include("tessera is missing");
    }
  });

  it("lists several problems on one line", function () {
    const tessera = validManifest();
    tessera["apiVersion"] = "^9.0.0";
    (tessera["contributes"] as { tools: Array<Record<string, unknown>> }).tools[0]!["id"] = "Bad_Id";
    const result = checkPublishBody(body(pkg({ tessera })));
    expect(result.ok).to.equal(false);
    if (!result.ok) {
      expect(result.error).to.include("tessera.contributes.tools[0].id");
      expect(result.error).to.include("tessera.apiVersion");
      expect(result.error).to.not.include("\n");
    }
  });

  it("refuses attachments without versions, and a tarball whose manifest differs", function () {
    const noVersions = checkPublishBody({ name: "x", _attachments: { "x.tgz": { data: "" } } });
    expect(noVersions.ok).to.equal(false);
    const otherTool = validManifest();
    (otherTool["contributes"] as { tools: Array<Record<string, unknown>> }).tools[0]!["id"] = "other";
    const differs = checkPublishBody(body(pkg(), pkg({ tessera: otherTool })));
    expect(differs.ok).to.equal(false);
    if (!differs.ok) expect(differs.error).to.include('"tessera" in the tarball\'s package.json differs');
    const notTar = checkPublishBody({ ...body(pkg()), _attachments: { "x.tgz": { data: Buffer.from("nope").toString("base64") } } });
    expect(notTar.ok).to.equal(false);
    if (!notTar.ok) expect(notTar.error).to.include("cannot read package.json from the tarball");
  });

  it("reads package.json from a tarball made by npm pack", async function () {
    const dir = await makePlugin({ name: "tessera-plugin-packed", version: "2.3.4" });
    const packed = await npm(["pack"], { cwd: dir, registry: "http://127.0.0.1:9" });
    expect(packed.code, packed.stderr).to.equal(0);
    const tgz = (await readdir(dir)).find((f) => f.endsWith(".tgz")) as string;
    const inner = readPackageJsonFromTarball(await readFile(join(dir, tgz))) as Record<string, unknown>;
    expect(inner["name"]).to.equal("tessera-plugin-packed");
    expect(inner["version"]).to.equal("2.3.4");
    expect(inner["tessera"]).to.deep.equal(validManifest());
  });

  it("ignores package.json files deeper in the tarball", function () {
    const tgz = tar({ "package/node_modules/dep/package.json": "{}" });
    expect(() => readPackageJsonFromTarball(tgz)).to.throw("no package.json at the top of the tarball");
  });

  it("parses max_body_size values", function () {
    expect(parseSize("50mb")).to.equal(50 * 1024 * 1024);
    expect(parseSize("10kb")).to.equal(10240);
    expect(parseSize("123")).to.equal(123);
    expect(() => parseSize("lots")).to.throw("invalid size");
  });
});
