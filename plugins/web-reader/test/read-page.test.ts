import { readFileSync } from "node:fs";
import { expect } from "chai";
import { isPlugin, parseManifest, PluginError, type FetchInit, type FetchResponse, type PluginContext } from "@tessera/sdk";
import plugin, { readPage } from "../src/plugin.js";
import { MAX_BODY_BYTES, truncate } from "../src/read-page.js";

interface FakePage {
  readonly status?: number;
  readonly statusText?: string;
  readonly url?: string;
  readonly contentType?: string | null;
  readonly body?: string | Uint8Array;
  /** Serve the body as a stream of these chunks instead of `body`. */
  readonly chunks?: Uint8Array[];
}

/** A Response-like object implementing the SDK's FetchResponse interface. */
function fakeResponse(requested: string, page: FakePage): FetchResponse {
  const bytes = typeof page.body === "string" ? new TextEncoder().encode(page.body) : (page.body ?? new Uint8Array());
  const headers = new Map<string, string>();
  if (page.contentType !== null) headers.set("content-type", page.contentType ?? "text/html; charset=utf-8");
  const status = page.status ?? 200;
  const chunks = page.chunks;
  return {
    status,
    statusText: page.statusText ?? "",
    ok: status >= 200 && status < 300,
    url: page.url ?? requested,
    headers: {
      get: (name) => headers.get(name.toLowerCase()) ?? null,
      has: (name) => headers.has(name.toLowerCase()),
      forEach: (cb) => headers.forEach((v, k) => cb(v, k)),
    },
    body: chunks
      ? (async function* () {
          yield* chunks;
        })()
      : null,
    text: async () => new TextDecoder().decode(bytes),
    json: async () => JSON.parse(new TextDecoder().decode(bytes)) as unknown,
    arrayBuffer: async () => bytes.slice().buffer,
  };
}

interface FakeContext extends PluginContext {
  readonly requests: { url: string; init: FetchInit | undefined }[];
}

function fakeContext(page: FakePage): FakeContext {
  const requests: { url: string; init: FetchInit | undefined }[] = [];
  const noop = (): void => undefined;
  return {
    requests,
    workspaceId: "ws-test",
    signal: { aborted: false, addEventListener: noop, removeEventListener: noop },
    fetch: async (input: string | { readonly href: string }, init?: FetchInit) => {
      const url = typeof input === "string" ? input : input.href;
      requests.push({ url, init });
      return fakeResponse(url, page);
    },
    log: { debug: noop, info: noop, warn: noop, error: noop },
  } as unknown as FakeContext;
}

async function rejection(invoke: () => unknown): Promise<PluginError> {
  try {
    await invoke();
  } catch (error) {
    expect(error).to.be.instanceOf(PluginError);
    return error as PluginError;
  }
  throw new Error("expected a rejection");
}

const ARTICLE = readFileSync(new URL("./fixtures/article.html", import.meta.url), "utf8");
const ARTICLE_TEXT = readFileSync(new URL("./fixtures/article.txt", import.meta.url), "utf8").trimEnd();

describe("read-page", () => {
  it("fetches the page and returns title and text, following the final URL", async () => {
    const ctx = fakeContext({ body: ARTICLE, url: "https://example.com/guide/start.html" });
    const result = await readPage.invoke({ url: "https://Example.com/start#intro" }, ctx);
    expect(ctx.requests).to.have.length(1);
    expect(ctx.requests[0]?.url).to.equal("https://example.com/start");
    expect(ctx.requests[0]?.init?.headers).to.have.property("accept").that.includes("text/html");
    expect(result).to.deep.equal({
      url: "https://Example.com/start#intro",
      final_url: "https://example.com/guide/start.html",
      status: 200,
      title: "The Tessera Guide & Notes",
      text: ARTICLE_TEXT,
      truncated: false,
    });
  });

  it("returns links resolved against the final URL when asked", async () => {
    const ctx = fakeContext({ body: '<p><a href="../x?a=1#f">X</a> <a href="https://o.example/">O</a></p>', url: "https://h.example/a/b/c.html" });
    const result = await readPage.invoke({ url: "https://h.example/old", include_links: true }, ctx);
    expect(result.links).to.deep.equal([
      { text: "X", href: "https://h.example/a/x?a=1" },
      { text: "O", href: "https://o.example/" },
    ]);
  });

  it("truncates the text at max_chars (default 20000)", async () => {
    const long = `<p>${"word ".repeat(10_000)}</p>`;
    const small = await readPage.invoke({ url: "http://h.example/", max_chars: 12 }, fakeContext({ body: long }));
    expect(small).to.deep.include({ text: "word word wo", truncated: true });
    const dflt = await readPage.invoke({ url: "http://h.example/" }, fakeContext({ body: long }));
    expect(dflt.text.length).to.be.at.most(20_000).and.at.least(19_990);
    expect(dflt.truncated).to.equal(true);
    const fits = await readPage.invoke({ url: "http://h.example/", max_chars: 100_000 }, fakeContext({ body: long }));
    expect(fits.truncated).to.equal(false);
  });

  it("reads text/plain as is, normalising whitespace", async () => {
    const ctx = fakeContext({ body: "Title line\r\n\r\n\r\n  indented   text  \n", contentType: "text/plain" });
    const result = await readPage.invoke({ url: "https://h.example/readme.txt" }, ctx);
    expect(result).to.deep.include({ title: "", text: "Title line\n\nindented text", truncated: false });
  });

  it("decodes the charset from the Content-Type header or a <meta> declaration", async () => {
    const latin1 = Uint8Array.from([...'<p>caf'].map((c) => c.charCodeAt(0)).concat([0xe9, 0x3c, 0x2f, 0x70, 0x3e]));
    const fromHeader = await readPage.invoke({ url: "https://h.example/" }, fakeContext({ body: latin1, contentType: "text/html; charset=ISO-8859-1" }));
    expect(fromHeader.text).to.equal("café");
    const meta = Uint8Array.from([...'<meta charset="windows-1252"><p>caf'].map((c) => c.charCodeAt(0)).concat([0xe9]));
    const fromMeta = await readPage.invoke({ url: "https://h.example/" }, fakeContext({ body: meta, contentType: "text/html" }));
    expect(fromMeta.text).to.equal("café"); // as UTF-8, the lone 0xe9 byte would decode to U+FFFD
    const bogus = await readPage.invoke({ url: "https://h.example/" }, fakeContext({ body: "<p>ok</p>", contentType: "text/html; charset=x-unknown" }));
    expect(bogus.text).to.equal("ok");
  });

  it("reads at most MAX_BODY_BYTES from a streamed body", async () => {
    const chunk = new TextEncoder().encode(`<p>${"a".repeat(1024 * 1024 - 7)}</p>`);
    const chunks = Array.from({ length: Math.ceil(MAX_BODY_BYTES / chunk.length) + 2 }, () => chunk);
    const result = await readPage.invoke({ url: "https://h.example/", max_chars: 1_000_000 }, fakeContext({ chunks }));
    expect(result.truncated).to.equal(true);
    expect(result.text.length).to.equal(1_000_000);
    const small = await readPage.invoke({ url: "https://h.example/" }, fakeContext({ chunks: [new TextEncoder().encode("<p>he"), new TextEncoder().encode("llo</p>")] }));
    expect(small).to.deep.include({ text: "hello", truncated: false });
  });

  describe("refuses", () => {
    for (const url of ["ftp://h.example/f", "file:///etc/passwd", "javascript:alert(1)", "h.example/page", "https://"]) {
      it(`the URL ${JSON.stringify(url)} without fetching`, async () => {
        const ctx = fakeContext({ body: "" });
        const error = await rejection(() => readPage.invoke({ url }, ctx));
        expect(error.code).to.equal("plugin_invalid_arguments");
        expect(ctx.requests).to.have.length(0);
      });
    }

    for (const contentType of ["application/json", "image/png", "application/octet-stream", null]) {
      it(`content type ${String(contentType)}`, async () => {
        const error = await rejection(() => readPage.invoke({ url: "https://h.example/x" }, fakeContext({ body: "{}", contentType })));
        expect(error.code).to.equal("plugin_invalid_arguments");
        expect(error.message).to.match(/only text\/html and text\/plain pages can be read$/);
      });
    }

    it("an out-of-range max_chars", async () => {
      const error = await rejection(() => readPage.invoke({ url: "https://h.example/", max_chars: 0 }, fakeContext({ body: "" })));
      expect(error.code).to.equal("plugin_invalid_arguments");
    });
  });

  it("maps HTTP errors onto plugin error codes", async () => {
    const cases: [number, string][] = [
      [404, "plugin_not_found"],
      [410, "plugin_not_found"],
      [429, "plugin_rate_limited"],
      [403, "plugin_upstream_error"],
      [500, "plugin_upstream_error"],
    ];
    for (const [status, code] of cases) {
      const error = await rejection(() => readPage.invoke({ url: "https://h.example/x" }, fakeContext({ status, statusText: "Oops", body: "" })));
      expect(error.code, String(status)).to.equal(code);
      expect(error.message).to.equal(`https://h.example/x answered ${status} Oops`);
      expect(error.details).to.deep.equal({ status, url: "https://h.example/x" });
    }
  });

  it("fails clearly when the runtime has no TextDecoder", async () => {
    const original = globalThis.TextDecoder;
    const ctx = fakeContext({ body: "<p>hi</p>" });
    try {
      (globalThis as { TextDecoder?: unknown }).TextDecoder = undefined;
      const error = await rejection(() => readPage.invoke({ url: "https://h.example/" }, ctx));
      expect(error.code).to.equal("plugin_internal_error");
      expect(error.message).to.match(/no TextDecoder/);
    } finally {
      globalThis.TextDecoder = original;
    }
  });

  it("truncates without splitting surrogate pairs", () => {
    expect(truncate("ab😀cd", 3)).to.deep.equal({ text: "ab", truncated: true });
    expect(truncate("ab😀cd", 4)).to.deep.equal({ text: "ab😀", truncated: true });
    expect(truncate("abc", 3)).to.deep.equal({ text: "abc", truncated: false });
  });
});

describe("web-reader manifest", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as Record<string, unknown>;

  it("is valid, declares the any-host network permission and matches the code", () => {
    const result = parseManifest(pkg);
    expect(result.ok, JSON.stringify(result)).to.equal(true);
    if (!result.ok) return;
    expect(result.manifest.permissions).to.deep.equal({ network: { hosts: ["*"] } });
    expect(isPlugin(plugin)).to.equal(true);
    const [entry] = result.manifest.contributes.tools ?? [];
    expect(entry?.id).to.equal("read-page");
    expect(JSON.parse(JSON.stringify(plugin.tools["read-page"].parameters))).to.deep.equal(entry?.parameters);
    expect(JSON.parse(JSON.stringify(plugin.tools["read-page"].resultSchema))).to.deep.equal(entry?.resultSchema);
  });
});
