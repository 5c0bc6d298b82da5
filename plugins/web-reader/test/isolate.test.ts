import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { PluginError } from "@tessera/sdk";
import { createTestHost, type TestHost, type TestHostOptions } from "@tessera/sdk/testing";

// The built bundle (dist/plugin.js) in a V8 isolate, with ctx.fetch served by
// the same SSRF-guarded fetch the kernel uses: only granted hosts, loopback
// only when allow-listed, every redirect hop re-checked.
const pluginDir = fileURLToPath(new URL("..", import.meta.url));

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Local  test page</title><script>var hidden = "not text";</script></head>
<body>
  <nav><a href="/home">Home</a></nav>
  <h1>Hello from the isolate</h1>
  <p>The page was served by a <b>local</b> server and read through <a href="/docs/fetch">ctx.fetch</a>.</p>
</body>
</html>`;

async function rejection(call: Promise<unknown>): Promise<PluginError> {
  try {
    await call;
  } catch (error) {
    expect(error).to.be.instanceOf(PluginError);
    return error as PluginError;
  }
  throw new Error("expected a rejection");
}

describe("web-reader in the isolate test host", () => {
  let server: Server;
  let base: string;
  let port: number;
  const hits: string[] = [];
  const hosts: TestHost[] = [];

  /** A test host with `grants`; closed after the suite. */
  async function hostWith(grants: TestHostOptions["grants"]): Promise<TestHost> {
    const host = await createTestHost({ pluginDir, ...(grants ? { grants } : {}) });
    hosts.push(host);
    return host;
  }

  before(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      if (req.url === "/page") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
      else if (req.url === "/to-metadata") res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      else res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await Promise.all(hosts.map((host) => host.close()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    hits.length = 0;
  });

  it("reads a page's title and text from an allow-listed local server", async () => {
    const host = await hostWith({ hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${port}`] });
    const result = (await host.invokeTool("read-page", { url: `${base}/page`, include_links: true })) as Record<string, unknown>;
    expect(result).to.deep.include({ url: `${base}/page`, final_url: `${base}/page`, status: 200, title: "Local test page", truncated: false });
    expect(result["text"]).to.equal("Hello from the isolate\n\nThe page was served by a local server and read through ctx.fetch.");
    expect(result["links"]).to.deep.equal([{ text: "ctx.fetch", href: `${base}/docs/fetch` }]);
    expect(hits).to.deep.equal(["/page"]);
  });

  it("reports a missing page as plugin_not_found", async () => {
    const host = await hostWith({ hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${port}`] });
    const error = await rejection(host.invokeTool("read-page", { url: `${base}/missing` }));
    expect(error.code).to.equal("plugin_not_found");
  });

  it("refuses a redirect to the cloud metadata address with plugin_permission_denied", async () => {
    const host = await hostWith({ hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${port}`] });
    const error = await rejection(host.invokeTool("read-page", { url: `${base}/to-metadata` }));
    expect(error.code).to.equal("plugin_permission_denied");
    expect(error.message).to.contain("169.254.169.254");
    expect(hits).to.deep.equal(["/to-metadata"]);
  });

  it("refuses the metadata address even when every host is granted: it is blocked by address, not by name", async () => {
    const host = await hostWith({ hosts: ["*"], allowPrivate: [`127.0.0.1:${port}`] });
    const error = await rejection(host.invokeTool("read-page", { url: `${base}/to-metadata` }));
    expect(error.code).to.equal("plugin_permission_denied");
    expect(error.message).to.contain("cloud metadata");
  });

  it("refuses to fetch when no network access was granted, before connecting", async () => {
    const host = await hostWith(undefined);
    const error = await rejection(host.invokeTool("read-page", { url: `${base}/page` }));
    expect(error.code).to.equal("plugin_permission_denied");
    expect(error.message).to.contain(`127.0.0.1:${port}`);
    expect(hits).to.deep.equal([]);
  });

  it("refuses a granted loopback host that an admin has not allow-listed (SSRF guard)", async () => {
    const host = await hostWith({ hosts: ["127.0.0.1"] });
    const error = await rejection(host.invokeTool("read-page", { url: `${base}/page` }));
    expect(error.code).to.equal("plugin_permission_denied");
    expect(error.message).to.contain("loopback");
    expect(hits).to.deep.equal([]);
  });

  it("cannot be granted a host pattern its manifest does not cover", async () => {
    // The manifest declares "*": concrete hosts are covered, other wildcards are not.
    let failure: Error | undefined;
    try {
      await hostWith({ hosts: ["*.example.com"] });
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.contain("cannot grant *.example.com");
  });
});
