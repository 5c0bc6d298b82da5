import { readFileSync } from "node:fs";
import { expect } from "chai";
import { collapse, htmlToText, normalizePlainText } from "../src/html-to-text.js";

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("htmlToText", () => {
  const page = htmlToText(fixture("article.html"), "https://example.com/guide/start.html");

  it("extracts the title", () => {
    expect(page.title).to.equal("The Tessera Guide & Notes");
  });

  it("keeps headings, paragraphs, lists, pre and tables as plain text, dropping scripts, styles, nav, footer, svg and hidden content", () => {
    expect(page.text).to.equal(fixture("article.txt").trimEnd());
  });

  it("collects http(s) links resolved against the <base> of the final URL, without fragments and duplicates", () => {
    expect(page.links).to.deep.equal([
      { text: "install guide", href: "https://example.com/docs/install.html" },
      { text: "FAQ", href: "https://example.org/faq" },
      { text: "API reference", href: "https://example.com/api/" },
      { text: "https://cdn.example.com/file.txt", href: "https://cdn.example.com/file.txt" },
    ]);
  });

  it("falls back to the first h1 for the title and copes with malformed HTML", () => {
    const result = htmlToText("<body><h1>Main <i>title</i></h1><p>one<p>two<div>three</span>four</p>", "http://x/");
    expect(result.title).to.equal("Main title");
    expect(result.text).to.equal("Main title\n\none\n\ntwo\n\nthreefour");
  });

  it("collapses whitespace between inline elements and blocks", () => {
    const result = htmlToText("<p>  a  <b>b</b><i> c</i>\n\n d </p>\n\n\n<p>\te</p><div></div><p></p>", "http://x/");
    expect(result.text).to.equal("a b c d\n\ne");
  });

  it("uses aria-label or title for links without text", () => {
    const result = htmlToText('<a href="/x" aria-label="Close"><svg></svg></a><a href="/y" title="Why">  </a>', "http://h/a/b");
    expect(result.links).to.deep.equal([
      { text: "Close", href: "http://h/x" },
      { text: "Why", href: "http://h/y" },
    ]);
  });

  it("returns empty results for an empty document", () => {
    expect(htmlToText("", "http://x/")).to.deep.equal({ title: "", text: "", links: [] });
  });
});

describe("text helpers", () => {
  it("collapses whitespace", () => expect(collapse("  a \n\t b\u00a0c ")).to.equal("a b c"));
  it("normalises plain text, keeping paragraphs", () => {
    expect(normalizePlainText("  a   b  \r\n\r\n\r\n\r\nc\t\td\n")).to.equal("a b\n\nc d");
  });
});
