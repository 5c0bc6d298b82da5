import { subscribe, unsubscribe } from "node:diagnostics_channel";
import http from "node:http";
import { isIP, type LookupFunction, type Socket } from "node:net";
import { gzipSync, brotliCompressSync } from "node:zlib";
import { expect } from "chai";
import { classifyAddress, parseAllowPrivate } from "../../src/runtime/address-policy.js";
import {
  createGuardedFetch,
  FetchDeniedError,
  FetchResponseTooLargeError,
  type GuardedFetchOptions,
  type GuardedResponse,
} from "../../src/runtime/guarded-fetch.js";

// ---------------------------------------------------------------------------
// Tripwire: every client socket Node opens during these tests is inspected
// before it connects. Attempts are recorded, and any attempt at a non-loopback
// address is failed on the spot (multicast excepted: the local kernel refuses a
// TCP connect to it without sending anything), so a policy bug can never send
// traffic off this machine — and "refused before any connection" is asserted directly.
// ---------------------------------------------------------------------------

const attempts: string[] = [];
const isLoopback = (address: string): boolean => address === "::1" || /^(::ffff:)?127\./i.test(address) || /^::ffff:7f[0-9a-f]{2}:/i.test(address);
/**
 * Multicast addresses: a TCP connect to one fails inside the local kernel (ENETUNREACH at
 * connect(), synchronously) and sends nothing, so the tests use them as "unroutable" answers.
 */
const isMulticast = (address: string): boolean => /^(22[4-9]|23\d)\./.test(address) || /^ff[0-9a-f]{2}:/i.test(address);
const staysHere = (address: string): boolean => isLoopback(address) || isMulticast(address);

function tripwire(message: unknown): void {
  const socket = (message as { socket: Socket }).socket;
  const original = socket.connect.bind(socket) as (...args: unknown[]) => Socket;
  (socket as unknown as { connect: (...args: unknown[]) => Socket }).connect = (...args: unknown[]) => {
    const first = args[0];
    const opts = (Array.isArray(first) ? first[0] : first) as { host?: string; lookup?: LookupFunction };
    const host = opts.host ?? "localhost";
    if (isIP(host) !== 0) {
      attempts.push(host);
      // Fail it after the HTTP client has attached its error listener.
      if (!staysHere(host)) return void setImmediate(() => socket.destroy(new Error(`tripwire: connect to ${host}`))), socket;
    } else if (opts.lookup) {
      const lookup = opts.lookup;
      opts.lookup = (hostname, options, callback) =>
        lookup(hostname, options, (err, address, family) => {
          const list = typeof address === "string" ? [address] : (address ?? []).map((a) => a.address);
          attempts.push(...list);
          if (list.some((a) => !staysHere(a))) return void setImmediate(() => callback(new Error(`tripwire: connect to ${list.join(", ")}`), "", 0));
          callback(err, address, family);
        });
    } else {
      attempts.push(`unpinned:${host}`);
      return void setImmediate(() => socket.destroy(new Error(`tripwire: unpinned DNS lookup of ${host}`))), socket;
    }
    return original(...args);
  };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

interface TestServer {
  port: number;
  requests: http.IncomingMessage[];
  connections: number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function startServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    state.requests.push(req);
    handler(req, res);
  });
  const state: TestServer = {
    port: 0,
    requests: [],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on("connection", () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as { port: number }).port;
  servers.push(state);
  return state;
}

type Answer = string[] | (() => string[]);

/** A lookup stub that records its calls; unknown names fail like NXDOMAIN. */
function stubLookup(answers: Record<string, Answer>) {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    const answer = answers[hostname];
    if (answer === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return (typeof answer === "function" ? answer() : answer).map((address) => ({ address, family: (isIP(address) === 6 ? 6 : 4) as 4 | 6 }));
  };
  return { lookup, calls };
}

async function expectDenied(promise: Promise<unknown>, code: FetchDeniedError["code"], message?: RegExp): Promise<FetchDeniedError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(FetchDeniedError);
    const denied = error as FetchDeniedError;
    expect(denied.code, denied.message).to.equal(code);
    if (message) expect(denied.message).to.match(message);
    return denied;
  }
  throw new Error(`expected FetchDeniedError ${code}, but the request succeeded`);
}

async function readText(res: GuardedResponse): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body ?? []) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const header = (res: GuardedResponse, name: string): string | undefined => res.headers.find(([n]) => n === name)?.[1];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fetchWith(options: Partial<GuardedFetchOptions> & { grant: GuardedFetchOptions["grant"] }) {
  return createGuardedFetch({ lookup: stubLookup({}).lookup, ...options });
}

describe("guarded fetch", () => {
  before(() => subscribe("net.client.socket", tripwire));
  after(() => unsubscribe("net.client.socket", tripwire));
  beforeEach(() => {
    attempts.length = 0;
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  describe("destination policy", () => {
    it("refuses a host the grant does not declare", async () => {
      const spy = stubLookup({ "evil.example.test": ["203.0.113.9"] });
      const fetch = fetchWith({ grant: { hosts: ["api.example.test", "*.good.test"] }, lookup: spy.lookup });
      await expectDenied(fetch({ url: "https://evil.example.test/v1" }), "plugin_host_not_allowed", /evil\.example\.test/);
      await expectDenied(fetch({ url: "https://good.test/" }), "plugin_host_not_allowed");
      const portBound = fetchWith({ grant: { hosts: ["api.example.test:8443"] }, lookup: spy.lookup });
      await expectDenied(portBound({ url: "https://api.example.test/" }), "plugin_host_not_allowed", /api\.example\.test/);
      expect(spy.calls, "no DNS before the grant check").to.deep.equal([]);
      expect(attempts).to.deep.equal([]);
    });

    it("refuses 127.0.0.1, localhost, [::1], 0.0.0.0, 2130706433 and 0x7f.1 unless allow-listed", async () => {
      const server = await startServer((_req, res) => res.end("ok"));
      const p = server.port;
      const urls = [`http://127.0.0.1:${p}/`, `http://localhost:${p}/`, `http://[::1]:${p}/`, `http://0.0.0.0:${p}/`, `http://2130706433:${p}/`, `http://0x7f.1:${p}/`, `http://[::ffff:7f00:1]:${p}/`];
      const spy = stubLookup({});
      const denied = fetchWith({ grant: { hosts: ["*"] }, lookup: spy.lookup });
      for (const url of urls) {
        const error = await expectDenied(denied({ url }), "plugin_address_blocked");
        expect(error.message, url).to.match(/loopback|unspecified/);
      }
      expect(spy.calls).to.deep.equal([]);
      expect(attempts).to.deep.equal([]);
      expect(server.connections).to.equal(0);

      const allowed = fetchWith({ grant: { hosts: ["*"], allowPrivate: [`127.0.0.1:${p}`] }, lookup: spy.lookup });
      for (const url of [urls[0]!, urls[1]!, urls[4]!, urls[5]!, urls[6]!]) {
        const res = await allowed({ url });
        expect(res.status, url).to.equal(200);
        expect(await readText(res)).to.equal("ok");
      }
      // Allow-listing 127.0.0.1 does not open ::1, 0.0.0.0 or other ports.
      await expectDenied(allowed({ url: urls[2]! }), "plugin_address_blocked", /loopback/);
      await expectDenied(allowed({ url: urls[3]! }), "plugin_address_blocked", /unspecified/);
      await expectDenied(allowed({ url: `http://127.0.0.1:${p + 1}/` }), "plugin_address_blocked");
      expect(attempts.every(isLoopback)).to.equal(true);
    });

    it("refuses 169.254.169.254 and metadata.google.internal", async () => {
      const spy = stubLookup({ "metadata.google.internal": ["169.254.169.254"], "metadata": ["169.254.169.254"] });
      // Even a broad CIDR allow-list entry does not unlock the metadata service.
      const fetch = fetchWith({ grant: { hosts: ["*"], allowPrivate: ["169.254.0.0/16", "0.0.0.0/0"] }, lookup: spy.lookup });
      await expectDenied(fetch({ url: "http://169.254.169.254/latest/meta-data/" }), "plugin_address_blocked", /169\.254\.169\.254.*cloud metadata/);
      await expectDenied(fetch({ url: "http://metadata.google.internal/computeMetadata/v1/" }), "plugin_address_blocked", /metadata\.google\.internal.*cloud metadata/);
      await expectDenied(fetch({ url: "http://METADATA.google.internal./" }), "plugin_address_blocked", /cloud metadata/);
      await expectDenied(fetch({ url: "http://metadata/" }), "plugin_address_blocked", /cloud metadata/);
      await expectDenied(fetch({ url: "http://[fd00:ec2::254]/" }), "plugin_address_blocked", /cloud metadata/);
      expect(spy.calls, "metadata names are refused by name, before DNS").to.deep.equal([]);
      expect(attempts).to.deep.equal([]);
    });

    it("refuses a declared host that resolves to a private address (DNS)", async () => {
      const cases: [string, RegExp][] = [
        ["10.0.0.5", /private/],
        ["192.168.1.1", /private/],
        ["172.16.3.4", /private/],
        ["100.64.0.1", /carrier-grade NAT/],
        ["fc00::1", /unique-local/],
        ["fe80::1", /link-local/],
        ["::ffff:127.0.0.1", /IPv4-mapped loopback/],
        ["64:ff9b::a00:5", /NAT64 embedding private 10\.0\.0\.5/],
        ["2002:a9fe:a9fe::1", /6to4 embedding cloud metadata 169\.254\.169\.254/],
      ];
      for (const [address, label] of cases) {
        const spy = stubLookup({ "api.example.test": [address] });
        const fetch = fetchWith({ grant: { hosts: ["api.example.test"] }, lookup: spy.lookup });
        const error = await expectDenied(fetch({ url: "https://api.example.test/v1/chat" }), "plugin_address_blocked", label);
        expect(error.message).to.contain("api.example.test").and.to.contain(address);
        expect(spy.calls).to.deep.equal(["api.example.test"]);
      }
      expect(attempts, "refused before any connection attempt").to.deep.equal([]);
    });

    it("refuses when any one of several resolved addresses is private", async () => {
      const spy = stubLookup({ "api.example.test": ["8.8.8.8", "2606:4700::1111", "10.0.0.5"] });
      const fetch = fetchWith({ grant: { hosts: ["api.example.test"] }, lookup: spy.lookup });
      await expectDenied(fetch({ url: "https://api.example.test/" }), "plugin_address_blocked", /10\.0\.0\.5.*private/);
      expect(attempts).to.deep.equal([]);
    });

    it("connects to the address it validated, not a second lookup (rebinding)", async () => {
      const server = await startServer((req, res) => res.end(req.headers.host));
      let call = 0;
      // First answer passes (loopback, allow-listed); any later answer is the metadata service.
      const spy = stubLookup({ "api.example.test": () => (call++ === 0 ? ["127.0.0.1"] : ["169.254.169.254"]) });
      const fetch = fetchWith({ grant: { hosts: ["api.example.test"], allowPrivate: [`127.0.0.1:${server.port}`] }, lookup: spy.lookup });
      const res = await fetch({ url: `http://api.example.test:${server.port}/` });
      expect(res.status).to.equal(200);
      expect(await readText(res), "Host header keeps the original name").to.equal(`api.example.test:${server.port}`);
      expect(spy.calls, "one lookup per hop").to.deep.equal(["api.example.test"]);
      expect(attempts, "Node connected to the vetted address without resolving again").to.deep.equal(["127.0.0.1"]);
      // The next request resolves afresh and sees the rebound answer.
      await expectDenied(fetch({ url: `http://api.example.test:${server.port}/` }), "plugin_address_blocked", /169\.254\.169\.254/);
      expect(spy.calls).to.have.length(2);
      expect(attempts).to.deep.equal(["127.0.0.1"]);
    });

    it("classifies addresses: public unicast passes, special ranges and embedded private IPv4 do not", () => {
      for (const ok of ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001::200e", "2002:808:808::1", "64:ff9b::808:808"]) {
        expect(classifyAddress(ok), ok).to.equal(undefined);
      }
      const blocked = ["0.1.2.3", "255.255.255.255", "224.0.0.1", "192.0.2.1", "240.0.0.1", "::", "ff02::1", "::127.0.0.1", "2001:0:4136:e378:8000:63bf:80ff:fffe", "64:ff9b:1::1", "fec0::1", "4000::1", "not-an-ip", "0x7f.1"];
      for (const bad of blocked) expect(classifyAddress(bad), bad).to.not.equal(undefined);
      expect(classifyAddress("::ffff:10.1.2.3")?.label).to.equal("IPv4-mapped private");
    });

    it("validates allowPrivate entries and matches them by address, port, CIDR or host name", () => {
      for (const bad of ["*", "10.0.0.0/33", "http://x", "[zz]:1", "host:99999"]) {
        expect(() => parseAllowPrivate([bad]), bad).to.throw(TypeError, /allowPrivate/);
      }
      const list = parseAllowPrivate(["10.0.0.0/8", "127.0.0.1:11434", "[::1]:8080", "ollama.lan:11434"]);
      const cls = (a: string) => classifyAddress(a)!;
      expect(list.allows("x", 443, "10.9.8.7", cls("10.9.8.7"))).to.equal(true);
      expect(list.allows("x", 443, "::ffff:10.9.8.7", cls("::ffff:10.9.8.7"))).to.equal(true);
      expect(list.allows("x", 11434, "127.0.0.1", cls("127.0.0.1"))).to.equal(true);
      expect(list.allows("x", 11435, "127.0.0.1", cls("127.0.0.1"))).to.equal(false);
      expect(list.allows("x", 8080, "::1", cls("::1"))).to.equal(true);
      expect(list.allows("ollama.lan", 11434, "192.168.1.20", cls("192.168.1.20"))).to.equal(true);
      expect(list.allows("ollama.lan", 80, "192.168.1.20", cls("192.168.1.20"))).to.equal(false);
    });
  });

  describe("network errors", () => {
    // A host name whose only address cannot be reached: connect() fails at once, inside
    // the pinned lookup's callback. That error used to be emitted on the socket before
    // the HTTP client listened for it, and the process died of an unhandled 'error' event.
    const unreachable = async (url: string, answers: Record<string, Answer>, allowPrivate: string[]) => {
      const spy = stubLookup(answers);
      const fetch = fetchWith({ grant: { hosts: ["*"], allowPrivate }, lookup: spy.lookup });
      const error = (await fetch({ url }).then(
        () => expect.fail(`${url} should not have answered`),
        (e: unknown) => e,
      )) as NodeJS.ErrnoException;
      expect(error, String(error)).to.be.instanceOf(Error);
      expect(error.code, String(error)).to.match(/^E[A-Z]+$/);
      return { error, spy };
    };

    it("rejects the fetch when a host name's only IPv4 address fails to connect at once", async () => {
      const { error, spy } = await unreachable("http://unroutable.example.test/", { "unroutable.example.test": ["224.0.0.1"] }, ["224.0.0.1"]);
      expect(error.code).to.equal("ENETUNREACH");
      expect(spy.calls).to.deep.equal(["unroutable.example.test"]);
      expect(attempts).to.deep.equal(["224.0.0.1"]);
    });

    it("rejects the fetch when a host name's only address is an AAAA record that fails to connect at once", async () => {
      await unreachable("http://v6only.example.test:8080/", { "v6only.example.test": ["ff0e::1"] }, ["ff00::/8"]);
      expect(attempts).to.deep.equal(["ff0e::1"]);
      // Over https the TLS setup used to throw on the socket destroyed under it instead
      // ("Cannot read properties of null (reading 'setServername')"). (TLS sockets do not
      // pass the tripwire: tls.connect does not publish net.client.socket.)
      await unreachable("https://v6only.example.test:8443/", { "v6only.example.test": ["ff0e::1"] }, ["ff00::/8"]);
    });

    it("rejects the fetch for the same address as an IP literal, and after a redirect to such a host", async () => {
      await unreachable("http://224.0.0.1/", {}, ["224.0.0.1"]);
      const server = await startServer((_req, res) => res.writeHead(302, { location: "http://unroutable.example.test/next" }).end());
      await unreachable(`http://127.0.0.1:${server.port}/`, { "unroutable.example.test": ["224.0.0.1"] }, ["224.0.0.1", `127.0.0.1:${server.port}`]);
      expect(server.requests).to.have.length(1);
    });
  });

  describe("redirects", () => {
    async function twoHosts(handlerA: (b: TestServer) => http.RequestListener, handlerB: http.RequestListener = (_q, r) => r.end("from b")) {
      const b = await startServer(handlerB);
      const a = await startServer(handlerA(b));
      const spy = stubLookup({ "a.example.test": ["127.0.0.1"], "b.example.test": ["127.0.0.1"] });
      return { a, b, spy };
    }

    it("follows a redirect between allowed hosts", async () => {
      const { a, b, spy } = await twoHosts((b) => (_req, res) => res.writeHead(302, { location: `http://b.example.test:${b.port}/final?x=1` }).end());
      const fetch = fetchWith({ grant: { hosts: ["a.example.test", "b.example.test"], allowPrivate: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`] }, lookup: spy.lookup });
      const res = await fetch({ url: `http://a.example.test:${a.port}/start` });
      expect(res.status).to.equal(200);
      expect(res.redirected).to.equal(true);
      expect(res.url).to.equal(`http://b.example.test:${b.port}/final?x=1`);
      expect(await readText(res)).to.equal("from b");
      expect(spy.calls, "one lookup per hop").to.deep.equal(["a.example.test", "b.example.test"]);
      expect(b.requests[0]?.headers.host).to.equal(`b.example.test:${b.port}`);
    });

    it("refuses a redirect to 127.0.0.1 that is not allow-listed / to 169.254.169.254 / to an undeclared host", async () => {
      let target = "";
      const { a, b, spy } = await twoHosts(() => (_req, res) => res.writeHead(307, { location: target }).end());
      const fetch = fetchWith({ grant: { hosts: ["a.example.test", "127.0.0.1", "169.254.169.254"], allowPrivate: [`127.0.0.1:${a.port}`] }, lookup: spy.lookup });
      const url = `http://a.example.test:${a.port}/`;

      target = `http://127.0.0.1:${b.port}/admin`;
      await expectDenied(fetch({ url }), "plugin_address_blocked", /127\.0\.0\.1.*loopback/);
      target = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
      await expectDenied(fetch({ url }), "plugin_address_blocked", /169\.254\.169\.254.*cloud metadata/);
      target = `http://b.example.test:${b.port}/`;
      await expectDenied(fetch({ url }), "plugin_host_not_allowed", /b\.example\.test/);

      expect(b.requests, "the redirect targets were never contacted").to.have.length(0);
      expect(a.requests).to.have.length(3);
      expect(spy.calls).to.deep.equal(["a.example.test", "a.example.test", "a.example.test"]);
      expect(attempts).to.deep.equal(["127.0.0.1", "127.0.0.1", "127.0.0.1"]);
    });

    it("stops after maxRedirects with plugin_too_many_redirects", async () => {
      const server = await startServer((req, res) => res.writeHead(302, { location: `/loop/${Number(req.url?.split("/")[2] ?? 0) + 1}` }).end());
      const fetch = fetchWith({ grant: { hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${server.port}`] }, maxRedirects: 3 });
      await expectDenied(fetch({ url: `http://127.0.0.1:${server.port}/loop/0` }), "plugin_too_many_redirects", /3 redirects/);
      expect(server.requests.map((r) => r.url)).to.deep.equal(["/loop/0", "/loop/1", "/loop/2", "/loop/3"]);
    });

    it("strips Authorization on a cross-origin redirect", async () => {
      const { a, b, spy } = await twoHosts((b) => (req, res) => {
        const location = req.url === "/same" ? "/same-done" : `http://b.example.test:${b.port}/`;
        res.writeHead(req.url === "/same-done" ? 200 : 302, { location }).end();
      });
      const fetch = fetchWith({ grant: { hosts: ["a.example.test", "b.example.test"], allowPrivate: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`] }, lookup: spy.lookup });
      const headers = { Authorization: "Bearer secret", Cookie: "session=1", "X-Trace": "t1" };
      await readText(await fetch({ url: `http://a.example.test:${a.port}/cross`, headers }));
      const atB = b.requests[0]!.headers;
      expect(atB.authorization).to.equal(undefined);
      expect(atB.cookie).to.equal(undefined);
      await readText(await fetch({ url: `http://a.example.test:${a.port}/same`, headers }));
      expect(a.requests.at(-1)?.headers.authorization, "same-origin redirect keeps credentials").to.equal("Bearer secret");
    });

    it("sends only a safe list of headers after a cross-origin redirect: no custom credential header follows", async () => {
      // Two servers on 127.0.0.1, different ports: different origins, even under one name.
      const b = await startServer((req, res) => {
        req.resume();
        req.on("end", () => res.end("from b"));
      });
      const a = await startServer((req, res) => {
        req.resume();
        if (req.url === "/same") return void res.writeHead(302, { location: "/same-done" }).end();
        if (req.url === "/same-done") return void res.end("same");
        res.writeHead(req.url === "/post" ? 307 : 302, { location: `http://127.0.0.1:${b.port}/` }).end();
      });
      const fetch = fetchWith({ grant: { hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`] } });
      const headers: [string, string][] = [
        ["X-Api-Key", "sk-secret"],
        ["Api-Key", "sk-secret-2"],
        ["X-Goog-Api-Key", "sk-secret-3"],
        ["Authorization", "Bearer secret"],
        ["Cookie", "session=1"],
        ["X-Trace", "t1"],
        ["Accept", "application/json"],
        ["Accept-Language", "de"],
        ["User-Agent", "plugin/1"],
        ["Content-Type", "application/json"],
      ];
      const credentials = ["x-api-key", "api-key", "x-goog-api-key", "authorization", "cookie", "x-trace"];

      expect(await readText(await fetch({ url: `http://127.0.0.1:${a.port}/get`, headers: headers.filter(([n]) => n !== "Content-Type") }))).to.equal("from b");
      const get = b.requests[0]!.headers;
      for (const name of credentials) expect(get[name], `${name} after a cross-origin 302`).to.equal(undefined);
      expect(get).to.include({ accept: "application/json", "accept-language": "de", "user-agent": "plugin/1", "accept-encoding": "gzip, deflate, br" });

      // 307 keeps the method and body, so the body's Content-Type goes along; credentials do not.
      expect(await readText(await fetch({ url: `http://127.0.0.1:${a.port}/post`, method: "POST", body: "{}", headers }))).to.equal("from b");
      const post = b.requests[1]!;
      expect(post.method).to.equal("POST");
      for (const name of credentials) expect(post.headers[name], `${name} after a cross-origin 307`).to.equal(undefined);
      expect(post.headers).to.include({ "content-type": "application/json", "content-length": "2" });

      // Same origin: everything stays.
      expect(await readText(await fetch({ url: `http://127.0.0.1:${a.port}/same`, headers: headers.filter(([n]) => n !== "Content-Type") }))).to.equal("same");
      expect(a.requests.at(-1)!.headers).to.include({ "x-api-key": "sk-secret", authorization: "Bearer secret", cookie: "session=1", "x-trace": "t1" });
    });

    it("switches a POST to a body-less GET on 303, keeps it on 307, and honours redirect: error/manual", async () => {
      const server = await startServer((req, res) => {
        if (req.url === "/see-other") return void res.writeHead(303, { location: "/done" }).end();
        if (req.url === "/temporary") return void res.writeHead(307, { location: "/done" }).end();
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => res.end(`${req.method} ${body} ${req.headers["content-type"] ?? "-"}`));
      });
      const fetch = fetchWith({ grant: { hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${server.port}`] } });
      const base = `http://127.0.0.1:${server.port}`;
      const post = { method: "post", body: '{"a":1}', headers: { "Content-Type": "application/json" } };
      expect(await readText(await fetch({ url: `${base}/see-other`, ...post }))).to.equal("GET  -");
      expect(await readText(await fetch({ url: `${base}/temporary`, ...post }))).to.equal('POST {"a":1} application/json');
      await expectDenied(fetch({ url: `${base}/see-other`, redirect: "error" }), "plugin_bad_request", /redirect/);
      const manual = await fetch({ url: `${base}/see-other`, redirect: "manual" });
      expect(manual.status).to.equal(303);
      expect(manual.redirected).to.equal(false);
      expect(header(manual, "location")).to.equal("/done");
      manual.cancel?.();
    });
  });

  describe("responses", () => {
    const local = (server: TestServer, extra: Partial<GuardedFetchOptions> = {}) =>
      fetchWith({ grant: { hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${server.port}`] }, ...extra });

    it("streams the body chunk by chunk as the server writes it", async () => {
      let serverDone = false;
      const server = await startServer(async (_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (let i = 1; i <= 4; i++) {
          res.write(`data: {"n":${i}}\n\n`);
          await sleep(100);
        }
        serverDone = true;
        res.end();
      });
      const started = Date.now();
      const res = await local(server)({ url: `http://127.0.0.1:${server.port}/sse` });
      const chunks: string[] = [];
      let firstAt = -1;
      for await (const chunk of res.body!) {
        if (chunks.length === 0) {
          firstAt = Date.now() - started;
          expect(serverDone, "first event arrives while the server is still writing").to.equal(false);
        }
        chunks.push(Buffer.from(chunk).toString());
      }
      expect(firstAt).to.be.lessThan(300);
      expect(chunks.length).to.be.at.least(3);
      expect(chunks.join("")).to.equal([1, 2, 3, 4].map((n) => `data: {"n":${n}}\n\n`).join(""));
    });

    it("aborts mid-stream when the signal fires", async () => {
      let serverSawClose!: () => void;
      const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
      const server = await startServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const timer = setInterval(() => res.write("data: tick\n\n"), 50);
        res.on("close", () => {
          clearInterval(timer);
          serverSawClose();
        });
      });
      const controller = new AbortController();
      const res = await local(server)({ url: `http://127.0.0.1:${server.port}/`, signal: controller.signal });
      let received = 0;
      try {
        for await (const _chunk of res.body!) {
          received++;
          if (received === 2) controller.abort();
        }
        expect.fail("the body should have thrown after the abort");
      } catch (error) {
        expect((error as Error).name).to.equal("AbortError");
      }
      expect(received).to.equal(2);
      await Promise.race([closed, sleep(2000).then(() => expect.fail("server never saw the connection close"))]);
    });

    it("aborts before the headers when the signal fires, and times out after timeoutMs", async () => {
      const server = await startServer(() => undefined); // never answers
      const url = `http://127.0.0.1:${server.port}/`;
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const aborted = await local(server)({ url, signal: controller.signal }).catch((e: unknown) => e);
      expect((aborted as Error).name).to.equal("AbortError");
      const timedOut = await local(server, { timeoutMs: 100 })({ url }).catch((e: unknown) => e);
      expect((timedOut as Error).name).to.equal("TimeoutError");
    });

    it("enforces maxResponseBytes", async () => {
      const server = await startServer(async (req, res) => {
        if (req.url === "/bomb") {
          res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync(Buffer.alloc(1024 * 1024)));
          return;
        }
        for (let i = 0; i < 10; i++) {
          if (!res.write(Buffer.alloc(1024, 97))) await new Promise((r) => res.once("drain", r));
        }
        res.end();
      });
      const fetch = local(server, { maxResponseBytes: 4096 });
      let total = 0;
      const read = async (path: string) => {
        total = 0;
        const res = await fetch({ url: `http://127.0.0.1:${server.port}${path}` });
        for await (const chunk of res.body!) total += chunk.byteLength;
      };
      const error = await read("/plain").catch((e: unknown) => e);
      expect(error).to.be.instanceOf(FetchResponseTooLargeError);
      expect(total).to.be.at.most(4096);
      // The limit counts decoded bytes, so a small compressed bomb is stopped too.
      expect(await read("/bomb").catch((e: unknown) => e)).to.be.instanceOf(FetchResponseTooLargeError);
    });

    it("decompresses a gzip response", async () => {
      const json = JSON.stringify({ choices: [{ message: { content: "hello ".repeat(200) } }] });
      const server = await startServer((req, res) => {
        const encoded = req.url === "/br" ? brotliCompressSync(json) : gzipSync(json);
        res.writeHead(200, { "content-type": "application/json", "content-encoding": req.url === "/br" ? "br" : "gzip", "content-length": encoded.length });
        res.end(encoded);
      });
      for (const path of ["/gzip", "/br"]) {
        const res = await local(server)({ url: `http://127.0.0.1:${server.port}${path}` });
        expect(await readText(res), path).to.equal(json);
        expect(header(res, "content-encoding")).to.equal(undefined);
        expect(header(res, "content-length")).to.equal(undefined);
        expect(header(res, "content-type")).to.equal("application/json");
      }
      expect(server.requests[0]?.headers["accept-encoding"]).to.equal("gzip, deflate, br");
    });
  });

  describe("request validation", () => {
    it("refuses ftp: and file: URLs and URLs with credentials", async () => {
      const spy = stubLookup({ "api.example.test": ["127.0.0.1"] });
      const fetch = fetchWith({ grant: { hosts: ["*"] }, lookup: spy.lookup });
      await expectDenied(fetch({ url: "ftp://api.example.test/file" }), "plugin_bad_request", /ftp:/);
      await expectDenied(fetch({ url: "file:///etc/passwd" }), "plugin_bad_request", /file:/);
      await expectDenied(fetch({ url: "http://user:pass@api.example.test/" }), "plugin_bad_request", /credentials/);
      await expectDenied(fetch({ url: "https://token@api.example.test/" }), "plugin_bad_request", /credentials/);
      await expectDenied(fetch({ url: "not a url" }), "plugin_bad_request", /Invalid URL/);
      expect(spy.calls).to.deep.equal([]);
      expect(attempts).to.deep.equal([]);
    });

    it("refuses forbidden request headers", async () => {
      const spy = stubLookup({ "api.example.test": ["127.0.0.1"] });
      const fetch = fetchWith({ grant: { hosts: ["*"], allowPrivate: ["127.0.0.1"] }, lookup: spy.lookup });
      const url = "http://api.example.test/";
      for (const name of ["Host", "connection", "Transfer-Encoding", "Proxy-Authorization", "Proxy-Foo", "Content-Length", "Upgrade", "TE"]) {
        await expectDenied(fetch({ url, method: "POST", headers: [[name, "x"]] }), "plugin_bad_request", new RegExp(name, "i"));
      }
      await expectDenied(fetch({ url, headers: { "X-Evil": "a\r\nHost: other" } }), "plugin_bad_request", /forbidden character/);
      await expectDenied(fetch({ url, headers: { "Bad Name": "x" } }), "plugin_bad_request", /header name/);
      await expectDenied(fetch({ url, method: "CONNECT" }), "plugin_bad_request", /CONNECT/);
      await expectDenied(fetch({ url, method: "GET", body: "x" }), "plugin_bad_request", /body/);
      expect(spy.calls).to.deep.equal([]);
      expect(attempts).to.deep.equal([]);
    });

    it("sets a default User-Agent and computes Content-Length", async () => {
      const server = await startServer((req, res) => {
        req.resume();
        req.on("end", () => res.end(JSON.stringify(req.headers)));
      });
      const fetch = fetchWith({ grant: { hosts: ["127.0.0.1"], allowPrivate: [`127.0.0.1:${server.port}`] }, userAgent: "tessera-test/1" });
      const url = `http://127.0.0.1:${server.port}/`;
      const seen = JSON.parse(await readText(await fetch({ url, method: "PUT", body: new Uint8Array([1, 2, 3]) }))) as Record<string, string>;
      expect(seen["user-agent"]).to.equal("tessera-test/1");
      expect(seen["content-length"]).to.equal("3");
      const custom = JSON.parse(await readText(await fetch({ url, headers: [["User-Agent", "mine"]] }))) as Record<string, string>;
      expect(custom["user-agent"]).to.equal("mine");
    });
  });
});
