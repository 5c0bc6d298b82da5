/**
 * The supervised Verdaccio child process: start-up, stop, restart, offline config.
 */

import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { addAccount, buildVerdaccioConfig, createUser, findFreePort, listAccounts, login, packument, startRegistry, type Registry } from "../src/index.js";
import { cleanup, makePlugin, npm, rssKb, startTestRegistry, tempDir } from "./support.js";

describe("the embedded registry process", function () {
  let registry: Registry | undefined;

  afterEach(async function () {
    await registry?.stop();
    registry = undefined;
    await cleanup();
  });

  // Start-up time is a target of bench/marketplace, not of this test: on a loaded
  // machine a timed assertion here only measures the load.
  it("starts in a child process and answers /-/ping", async function () {
    registry = await startTestRegistry();
    expect(registry.pid).to.be.a("number").and.not.equal(process.pid);
    expect(registry.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(registry.state).to.equal("running");
    const ping = await fetch(`${registry.url}/-/ping`);
    expect(ping.status).to.equal(200);
    // Under mocha the child runs src/child.ts through tsx, which adds ~40 MB; the
    // compiled dist/child.js is what the 150 MB target applies to (see the bench figures).
    const rss = await rssKb(registry.pid as number);
    if (rss !== undefined) expect(rss).to.be.below(220 * 1024);
    // Web UI disabled.
    expect((await fetch(`${registry.url}/`)).status).to.equal(404);
  });

  it("writes its configuration and storage under storageDir: offline, guarded, web UI off", async function () {
    const storageDir = await tempDir("cfg");
    registry = await startTestRegistry({ storageDir });
    const config = JSON.parse(await readFile(join(storageDir, "config.json"), "utf8")) as Record<string, any>;
    expect(config["uplinks"]).to.deep.equal({});
    expect(config["storage"]).to.equal(join(storageDir, "storage"));
    expect(config["auth"].htpasswd.file).to.equal(join(storageDir, "htpasswd"));
    expect(config["packages"]["**"]).to.deep.equal({ access: "$all", publish: "$authenticated", unpublish: "$authenticated" });
    expect(config["packages"]["**"].proxy).to.equal(undefined);
    expect(config["web"]).to.deep.equal({ enable: false });
    expect(config["max_body_size"]).to.equal("50mb");
    expect(Object.keys(config["middlewares"])).to.deep.equal(["tessera-manifest-guard"]);
    expect(config["auth"].htpasswd.max_users).to.equal(-1);
    await addAccount(storageDir, "bob");
    expect(await readFile(join(storageDir, "htpasswd"), "utf8")).to.match(/^bob:/);
  });

  it("stop() sends SIGTERM and resolves after the child exited", async function () {
    registry = await startTestRegistry();
    const pid = registry.pid as number;
    await registry.stop();
    expect(registry.state).to.equal("stopped");
    expect(isAlive(pid)).to.equal(false);
    let refused = false;
    await fetch(`${registry.url}/-/ping`).catch(() => (refused = true));
    expect(refused).to.equal(true);
  });

  it("restarts a killed registry process, and its data survives the restart", async function () {
    const storageDir = await tempDir("restart");
    registry = await startTestRegistry({ storageDir, restartBackoffMs: 50 });
    const token = await login(registry.url, "carol", (await addAccount(storageDir, "carol")).password);
    const dir = await makePlugin({ name: "tessera-plugin-durable" });
    expect((await npm(["publish"], { cwd: dir, registry: registry.url, token })).code).to.equal(0);

    const events: string[] = [];
    registry.on("exit", ({ signal }) => events.push(`exit:${String(signal)}`));
    registry.on("restart", ({ attempt }) => events.push(`restart:${attempt}`));
    const ready = new Promise<{ pid: number }>((resolve) => registry!.once("ready", resolve));

    const oldPid = registry.pid as number;
    process.kill(oldPid, "SIGKILL");
    const { pid: newPid } = await ready;

    expect(newPid).to.not.equal(oldPid);
    expect(registry.pid).to.equal(newPid);
    expect(registry.restarts).to.equal(1);
    expect(events).to.deep.equal(["exit:SIGKILL", "restart:1"]);
    expect((await fetch(`${registry.url}/-/ping`)).status).to.equal(200);
    const doc = await packument(registry.url, "tessera-plugin-durable");
    expect(Object.keys(doc?.versions ?? {})).to.deep.equal(["1.0.0"]);
    // The account and the token issued before the crash still work.
    const next = await makePlugin({ name: "tessera-plugin-durable", version: "1.0.1" });
    const result = await npm(["publish"], { cwd: next, registry: registry.url, token });
    expect(result.code, result.stderr).to.equal(0);
  });

  it("gives up after too many restarts in a minute", async function () {
    registry = await startTestRegistry({ restartBackoffMs: 20, maxRestartsPerMinute: 1 });
    const gaveUp = new Promise<{ restartsInLastMinute: number }>((resolve) => registry!.once("give-up", resolve));
    const restarted = new Promise((resolve) => registry!.once("ready", resolve));
    process.kill(registry.pid as number, "SIGKILL");
    await restarted;
    process.kill(registry.pid as number, "SIGKILL");
    const info = await gaveUp;
    expect(info.restartsInLastMinute).to.equal(1);
    expect(registry.state).to.equal("failed");
    expect(registry.pid).to.equal(undefined);
  });

  it("fails start-up with a message naming the registry when the port is taken", async function () {
    const port = await findFreePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      let error: Error | undefined;
      try {
        registry = await startRegistry({ storageDir: await tempDir("busy"), port, startTimeoutMs: 10_000 });
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).to.include(`marketplace registry (Verdaccio) at http://127.0.0.1:${port}`);
      expect(error?.message).to.include("exited during start-up");
      expect(error?.message).to.include("EADDRINUSE");
    } finally {
      blocker.close();
    }
  });

  it("refuses self-registration by default: PUT /-/user/org.couchdb.user:eve creates no account and no token", async function () {
    const storageDir = await tempDir("closed");
    registry = await startTestRegistry({ storageDir });
    expect((buildVerdaccioConfig({ storageDir })["auth"] as any).htpasswd.max_users).to.equal(-1);
    let error: unknown;
    try {
      await createUser(registry.url, "eve", "eve-password-1");
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/HTTP 409 - user registration disabled/);
    // What `npm adduser` sends, raw.
    const id = "org.couchdb.user:eve";
    const raw = await fetch(`${registry.url}/-/user/${encodeURIComponent(id)}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ _id: id, name: "eve", password: "eve-password-1", type: "user", roles: [] }),
    });
    expect(raw.status).to.equal(409);
    expect(((await raw.json()) as { token?: unknown }).token).to.equal(undefined);
    expect(await listAccounts(storageDir)).to.deep.equal([]);
  });

  it("adds accounts through the storage folder (addAccount): they log in and publish, each name once", async function () {
    const storageDir = await tempDir("accounts");
    registry = await startTestRegistry({ storageDir });
    const added = await addAccount(storageDir, "dave");
    expect(added.name).to.equal("dave");
    expect(added.password).to.match(/^[A-Za-z0-9_-]{43}$/);
    const token = await login(registry.url, "dave", added.password);
    const dir = await makePlugin({ name: "tessera-plugin-dave" });
    const published = await npm(["publish"], { cwd: dir, registry: registry.url, token });
    expect(published.code, published.stderr).to.equal(0);
    let failed: unknown;
    try {
      await login(registry.url, "dave", "not-the-password");
    } catch (e) {
      failed = e;
    }
    // With registration closed, Verdaccio answers a wrong password as a refused sign-up: 409.
    expect(String(failed)).to.match(/HTTP 409 - user registration disabled/);

    const again = await addAccount(storageDir, "dave").then(() => undefined, (e: unknown) => e);
    expect(String(again)).to.match(/already exists/);
    // replace: a new password; the old one no longer logs in.
    const replaced = await addAccount(storageDir, "dave", { replace: true });
    expect(await login(registry.url, "dave", replaced.password)).to.be.a("string");
    expect(String(await login(registry.url, "dave", added.password).then(() => undefined, (e: unknown) => e))).to.match(/HTTP 409/);
    for (const bad of ["", "a:b", "a b", "a\nb", "x".repeat(215)]) {
      expect(String(await addAccount(storageDir, bad).then(() => undefined, (e: unknown) => e)), JSON.stringify(bad)).to.match(/account name/);
    }
    // Several at once (the file is rewritten whole): none is lost.
    await Promise.all(["p1", "p2", "p3", "p4"].map((name) => addAccount(storageDir, name)));
    expect((await listAccounts(storageDir)).map((a) => a.name).sort()).to.deep.equal(["dave", "p1", "p2", "p3", "p4"]);
    expect((await listAccounts(storageDir)).every((a) => a.issued)).to.equal(true);
  });

  it("opens self-registration only when asked (allowRegistration: true), and tells such accounts from issued ones", async function () {
    const storageDir = await tempDir("open");
    registry = await startTestRegistry({ storageDir, allowRegistration: true });
    expect(await createUser(registry.url, "frank", "frank-password-1")).to.be.a("string");
    await addAccount(storageDir, "grace");
    expect(await listAccounts(storageDir)).to.deep.equal([
      { name: "frank", issued: false },
      { name: "grace", issued: true },
    ]);
  });
});

describe("the registry child entry", function () {
  after(cleanup);

  it("refuses to serve (exit 78) when Verdaccio did not load the manifest guard", async function () {
    const { spawn } = await import("node:child_process");
    const { writeFile, mkdir } = await import("node:fs/promises");
    const storageDir = await tempDir("noguard");
    const emptyPlugins = join(storageDir, "no-plugins-here");
    await mkdir(emptyPlugins);
    const config = { ...buildVerdaccioConfig({ storageDir }), plugins: emptyPlugins };
    await writeFile(join(storageDir, "config.json"), JSON.stringify(config));
    const port = await findFreePort();
    const child = spawn(process.execPath, ["--import", "tsx", new URL("../src/child.ts", import.meta.url).pathname], {
      env: { ...process.env, TESSERA_MARKETPLACE_CONFIG: join(storageDir, "config.json"), TESSERA_MARKETPLACE_PORT: String(port) },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).to.equal(78);
    expect(stderr).to.include("the manifest guard plugin was not loaded; refusing to serve");
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
