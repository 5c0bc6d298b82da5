/**
 * Converts HTML into readable plain text: drops scripts, styles and page
 * chrome (navigation, footers), keeps the block structure of headings,
 * paragraphs, lists and tables as lines separated by blank lines, and
 * collects links.
 *
 * @module
 */

import { Parser } from "htmlparser2";
import { resolveUrl } from "./resolve-url.js";

/** A link found in the page. */
export type PageLink = {
  /** The link text (whitespace collapsed; the `title`/`aria-label` or the URL when empty). */
  readonly text: string;
  /** The absolute URL. */
  readonly href: string;
};

/** The result of {@link htmlToText}. */
export interface HtmlText {
  /** The document title (from `<title>`, else the first `<h1>`), or `""`. */
  readonly title: string;
  /** The readable text. */
  readonly text: string;
  /** `http:`/`https:` links in document order, without duplicates (same `href` and text). */
  readonly links: PageLink[];
}

/** Elements whose content is dropped entirely. */
export const SKIPPED_ELEMENTS: ReadonlySet<string> = new Set([
  "script",
  "style",
  "noscript",
  "svg",
  "nav",
  "footer",
  "template",
  "iframe",
  "object",
  "embed",
  "canvas",
]);

/** Elements that start and end a paragraph (surrounded by blank lines). */
const PARAGRAPHS = new Set([
  "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote", "pre", "figure", "hr",
  "section", "article", "main", "header", "aside", "address", "details", "fieldset", "form",
]);

/** Elements that start and end a line. */
const LINES = new Set(["div", "li", "tr", "dt", "dd", "br", "caption", "figcaption", "summary", "legend", "option", "center"]);

const HEADINGS = new Set(["h1", "h2", "h3", "h4", "h5", "h6"]);

/** Maximum number of links returned. */
export const MAX_LINKS = 1000;

/** Accumulates text with collapsed whitespace and explicit line/paragraph breaks. */
class TextBuilder {
  private readonly lines: string[] = [];
  private current = "";
  private pendingSpace = false;
  private pendingBreak: 0 | 1 | 2 = 0;

  /** Requests a line break (1) or a blank line (2) before the next text. */
  break(kind: 1 | 2): void {
    if (kind > this.pendingBreak) this.pendingBreak = kind;
    this.pendingSpace = false;
  }

  /** Adds inline text, collapsing whitespace. */
  text(raw: string): void {
    const collapsed = raw.replace(/[\s\u00a0]+/g, " ");
    if (collapsed === "") return;
    if (collapsed === " ") {
      this.pendingSpace = true;
      return;
    }
    if (collapsed.startsWith(" ")) this.pendingSpace = true;
    this.append(collapsed.trim());
    this.pendingSpace = collapsed.endsWith(" ");
  }

  /** Adds text verbatim (inside `<pre>`), keeping its line breaks. */
  preformatted(raw: string): void {
    const parts = raw.replace(/\r\n?/g, "\n").split("\n");
    parts.forEach((part, i) => {
      if (i > 0) {
        this.flushBreak();
        this.lines.push(this.current.trimEnd());
        this.current = "";
      }
      if (part !== "") this.append(part.replace(/\t/g, "    "), true);
    });
  }

  /** Adds a prefix such as a list bullet at the start of a line. */
  prefix(text: string): void {
    this.flushBreak();
    if (this.current === "") this.current = text;
    this.pendingSpace = false;
  }

  private append(text: string, verbatim = false): void {
    this.flushBreak();
    if (!verbatim && this.pendingSpace && this.current !== "" && !/[ \t]$/.test(this.current) && !this.atLinePrefix()) {
      this.current += " ";
    }
    this.current += text;
    this.pendingSpace = false;
  }

  private atLinePrefix(): boolean {
    return /^\s*(?:- |\d+\. )$/.test(this.current);
  }

  private flushBreak(): void {
    if (this.pendingBreak === 0) return;
    if (this.current.trim() !== "" || this.lines.length > 0) {
      if (this.current.trim() !== "") this.lines.push(this.current.trimEnd());
      if (this.pendingBreak === 2 && this.lines.length > 0 && this.lines[this.lines.length - 1] !== "") this.lines.push("");
    }
    this.current = "";
    this.pendingBreak = 0;
  }

  /** The text: trailing spaces trimmed, at most one blank line in a row, no leading/trailing blank lines. */
  finish(): string {
    if (this.current.trim() !== "") this.lines.push(this.current.trimEnd());
    const out: string[] = [];
    for (const line of this.lines) {
      if (line.trim() === "" && (out.length === 0 || out[out.length - 1] === "")) continue;
      out.push(line.trim() === "" ? "" : line);
    }
    while (out.length > 0 && out[out.length - 1] === "") out.pop();
    return out.join("\n");
  }
}

interface ListState {
  readonly ordered: boolean;
  counter: number;
}

/**
 * Converts an HTML document to text.
 *
 * @param html - The document.
 * @param baseUrl - The URL the document was fetched from (its final URL), for resolving links.
 */
export function htmlToText(html: string, baseUrl: string): HtmlText {
  const out = new TextBuilder();
  const links: PageLink[] = [];
  const seenLinks = new Set<string>();
  const lists: ListState[] = [];
  let base = baseUrl;
  let baseSet = false;
  let skipDepth = 0;
  let preDepth = 0;
  let title = "";
  let inTitle = false;
  let titleDone = false;
  let firstH1 = "";
  let h1Depth = 0;
  let h1Done = false;
  let cellIndex = 0;
  let link: { href: string; text: string; label: string } | undefined;

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === "title" && !titleDone && skipDepth === 0) {
          inTitle = true;
          return;
        }
        if (name === "base" && !baseSet && attributes["href"] !== undefined) {
          base = resolveUrl(baseUrl, attributes["href"]);
          baseSet = true;
        }
        if (skipDepth > 0 || SKIPPED_ELEMENTS.has(name) || attributes["hidden"] !== undefined || attributes["aria-hidden"] === "true") {
          skipDepth++;
          return;
        }
        if (name === "pre") preDepth++;
        if (name === "h1" && !h1Done) h1Depth++;
        const nestedList = (name === "ul" || name === "ol") && lists.length > 0;
        if (PARAGRAPHS.has(name) && !nestedList) out.break(2);
        else if (LINES.has(name) || nestedList) out.break(1);
        if (name === "ul" || name === "ol") {
          const start = Number(attributes["start"] ?? "1");
          lists.push({ ordered: name === "ol", counter: Number.isInteger(start) ? start - 1 : 0 });
        } else if (name === "li") {
          const list = lists[lists.length - 1];
          const indent = "  ".repeat(Math.max(0, lists.length - 1));
          if (list?.ordered) out.prefix(`${indent}${++list.counter}. `);
          else out.prefix(`${indent}- `);
        } else if (name === "tr") {
          cellIndex = 0;
        } else if (name === "td" || name === "th") {
          if (cellIndex++ > 0) out.text(" | ");
        } else if (name === "img") {
          const alt = (attributes["alt"] ?? "").trim();
          if (alt !== "") {
            out.text(` ${alt} `);
            if (link) link.text += ` ${alt} `;
          }
        } else if (name === "a" && attributes["href"] !== undefined) {
          link = { href: attributes["href"], text: "", label: attributes["aria-label"] ?? attributes["title"] ?? "" };
        }
      },
      ontext(data) {
        if (inTitle) {
          title += data;
          return;
        }
        if (skipDepth > 0) return;
        if (h1Depth > 0) firstH1 += data;
        if (link) link.text += data;
        if (preDepth > 0) out.preformatted(data);
        else out.text(data);
      },
      onclosetag(name) {
        if (name === "title" && inTitle) {
          inTitle = false;
          titleDone = true;
          return;
        }
        if (skipDepth > 0) {
          skipDepth--;
          return;
        }
        if (name === "pre" && preDepth > 0) preDepth--;
        if (name === "h1" && h1Depth > 0 && --h1Depth === 0) h1Done = firstH1.trim() !== "";
        if (name === "ul" || name === "ol") lists.pop();
        if (name === "a" && link) {
          addLink(link);
          link = undefined;
        }
        if ((name === "ul" || name === "ol") && lists.length > 0) out.break(1);
        else if (PARAGRAPHS.has(name) || HEADINGS.has(name)) out.break(2);
        else if (LINES.has(name)) out.break(1);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );

  function addLink(found: { href: string; text: string; label: string }): void {
    if (links.length >= MAX_LINKS) return;
    const raw = found.href.trim();
    if (raw === "" || raw.startsWith("#")) return;
    const href = resolveUrl(base, raw).replace(/#.*$/s, "");
    if (!/^https?:\/\//i.test(href)) return;
    const text = collapse(found.text) || collapse(found.label) || href;
    const key = `${href}\u0000${text}`;
    if (seenLinks.has(key)) return;
    seenLinks.add(key);
    links.push({ text, href });
  }

  parser.write(html);
  parser.end();
  return { title: collapse(title) || collapse(firstH1), text: out.finish(), links };
}

/** Collapses whitespace runs to single spaces and trims. */
export function collapse(text: string): string {
  return text.replace(/[\s\u00a0]+/g, " ").trim();
}

/**
 * Normalises plain text: unifies line endings, collapses runs of spaces
 * within lines and runs of blank lines, and trims.
 *
 * @param text - The text.
 */
export function normalizePlainText(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.replace(/[ \t\f\v\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
