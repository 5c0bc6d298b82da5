import { expect } from "chai";
import { formatUri, parseHttpUrl, parseUri, removeDotSegments, resolveUrl } from "../src/resolve-url.js";

const BASE = "http://a/b/c/d;p?q";

describe("resolveUrl (RFC 3986 §5.4)", () => {
  // §5.4.1 Normal Examples
  const normal: [string, string][] = [
    ["g:h", "g:h"],
    ["g", "http://a/b/c/g"],
    ["./g", "http://a/b/c/g"],
    ["g/", "http://a/b/c/g/"],
    ["/g", "http://a/g"],
    ["//g", "http://g"],
    ["?y", "http://a/b/c/d;p?y"],
    ["g?y", "http://a/b/c/g?y"],
    ["#s", "http://a/b/c/d;p?q#s"],
    ["g#s", "http://a/b/c/g#s"],
    ["g?y#s", "http://a/b/c/g?y#s"],
    [";x", "http://a/b/c/;x"],
    ["g;x", "http://a/b/c/g;x"],
    ["g;x?y#s", "http://a/b/c/g;x?y#s"],
    ["", "http://a/b/c/d;p?q"],
    [".", "http://a/b/c/"],
    ["./", "http://a/b/c/"],
    ["..", "http://a/b/"],
    ["../", "http://a/b/"],
    ["../g", "http://a/b/g"],
    ["../..", "http://a/"],
    ["../../", "http://a/"],
    ["../../g", "http://a/g"],
  ];
  // §5.4.2 Abnormal Examples
  const abnormal: [string, string][] = [
    ["../../../g", "http://a/g"],
    ["../../../../g", "http://a/g"],
    ["/./g", "http://a/g"],
    ["/../g", "http://a/g"],
    ["g.", "http://a/b/c/g."],
    [".g", "http://a/b/c/.g"],
    ["g..", "http://a/b/c/g.."],
    ["..g", "http://a/b/c/..g"],
    ["./../g", "http://a/b/g"],
    ["./g/.", "http://a/b/c/g/"],
    ["g/./h", "http://a/b/c/g/h"],
    ["g/../h", "http://a/b/c/h"],
    ["g;x=1/./y", "http://a/b/c/g;x=1/y"],
    ["g;x=1/../y", "http://a/b/c/y"],
    ["g?y/./x", "http://a/b/c/g?y/./x"],
    ["g?y/../x", "http://a/b/c/g?y/../x"],
    ["g#s/./x", "http://a/b/c/g#s/./x"],
    ["g#s/../x", "http://a/b/c/g#s/../x"],
    ["http:g", "http:g"], // strict parsers
  ];
  for (const [reference, expected] of [...normal, ...abnormal]) {
    it(`"${reference}" → ${expected}`, () => expect(resolveUrl(BASE, reference)).to.equal(expected));
  }

  it("resolves against a base with an empty path", () => {
    expect(resolveUrl("https://example.com", "page")).to.equal("https://example.com/page");
    expect(resolveUrl("https://example.com", "?q=1")).to.equal("https://example.com?q=1");
  });

  it("keeps query and fragment of typical page links and trims whitespace", () => {
    const base = "https://example.com/docs/guide/intro.html?lang=en#top";
    expect(resolveUrl(base, "  ../api/index.html?x=1#m  ")).to.equal("https://example.com/docs/api/index.html?x=1#m");
    expect(resolveUrl(base, "//cdn.example.org/a.png")).to.equal("https://cdn.example.org/a.png");
    expect(resolveUrl(base, "mailto:someone@example.com")).to.equal("mailto:someone@example.com");
  });

  it("treats a first segment with an invalid scheme name as a path", () => {
    expect(parseUri("1abc:def")).to.deep.equal({ scheme: undefined, authority: undefined, path: "1abc:def", query: undefined, fragment: undefined });
  });
});

describe("URI helpers", () => {
  it("removes dot segments (RFC 3986 §5.2.4 examples)", () => {
    expect(removeDotSegments("/a/b/c/./../../g")).to.equal("/a/g");
    expect(removeDotSegments("mid/content=5/../6")).to.equal("mid/6");
  });

  it("parses and recomposes every component", () => {
    const parts = parseUri("https://user@example.com:8443/p/a?q=1#f");
    expect(parts).to.deep.equal({ scheme: "https", authority: "user@example.com:8443", path: "/p/a", query: "q=1", fragment: "f" });
    expect(formatUri(parts)).to.equal("https://user@example.com:8443/p/a?q=1#f");
    expect(formatUri(parseUri("http://h?#"))).to.equal("http://h?#");
  });
});

describe("parseHttpUrl", () => {
  it("accepts http and https URLs, normalising scheme, host, empty path and dropping the fragment", () => {
    expect(parseHttpUrl(" HTTPS://Example.COM#x ")).to.deep.equal({ scheme: "https", host: "example.com", href: "https://example.com/" });
    expect(parseHttpUrl("http://example.com:8080/A b?q=1")).to.deep.equal({
      scheme: "http",
      host: "example.com",
      href: "http://example.com:8080/A%20b?q=1",
    });
    expect(parseHttpUrl("http://[::1]:80/")).to.deep.include({ host: "[::1]" });
  });

  const invalid: [string, RegExp][] = [
    ["", /url is empty/],
    ["ftp://example.com/file", /only http and https URLs can be read, not ftp:/],
    ["file:///etc/passwd", /only http and https URLs can be read, not file:/],
    ["javascript:alert(1)", /only http and https URLs can be read, not javascript:/],
    ["data:text/html,hi", /not data:/],
    ["example.com/page", /is not an absolute URL/],
    ["/relative", /is not an absolute URL/],
    ["https:///path", /has no host/],
    ["https:path", /has no host/],
    ["https://user@:80/", /has no host/],
    ["https://exa mple.com/", /is not a valid host name/],
    ["https://exa\nmple.com/", /control characters/],
  ];
  for (const [url, message] of invalid) {
    it(`rejects ${JSON.stringify(url)}`, () => {
      const result = parseHttpUrl(url);
      expect(result).to.have.property("error").that.matches(message);
    });
  }
});
