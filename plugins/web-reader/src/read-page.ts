/**
 * The `read-page` tool: fetches a web page and returns its readable text.
 *
 * @module
 */

import { Type } from "@sinclair/typebox";
import { defineTool, PluginError, type FetchResponse } from "@tessera/sdk";
import { decodeBytes, parseContentType, sniffHtmlCharset } from "./decode.js";
import { htmlToText, normalizePlainText, type PageLink } from "./html-to-text.js";
import { parseHttpUrl } from "./resolve-url.js";

/** Default `max_chars`. */
export const DEFAULT_MAX_CHARS = 20_000;
/** Largest accepted `max_chars`. */
export const MAX_MAX_CHARS = 1_000_000;
/** At most this many bytes of a response are read. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);

/** The result of `read-page`. */
export type ReadPageResult = {
  url: string;
  final_url: string;
  status: number;
  title: string;
  text: string;
  links?: PageLink[];
  truncated: boolean;
};

export const readPage = defineTool({
  label: "Read web page",
  description:
    "Fetches an http(s) web page and returns its title and readable text (scripts, styles, navigation and footers removed), " +
    "optionally with its links. Only text/html and text/plain pages are supported.",
  parameters: Type.Object({
    url: Type.String({ minLength: 1, maxLength: 2048, description: "The absolute http:// or https:// URL of the page" }),
    max_chars: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_MAX_CHARS,
        default: DEFAULT_MAX_CHARS,
        description: "Truncate the text to this many characters (default 20000)",
      }),
    ),
    include_links: Type.Optional(Type.Boolean({ default: false, description: "Also return the page's links with absolute URLs" })),
  }),
  resultSchema: Type.Object({
    url: Type.String(),
    final_url: Type.String(),
    status: Type.Integer(),
    title: Type.String(),
    text: Type.String(),
    links: Type.Optional(Type.Array(Type.Object({ text: Type.String(), href: Type.String() }))),
    truncated: Type.Boolean(),
  }),
  async invoke({ url, max_chars, include_links }, ctx): Promise<ReadPageResult> {
    const maxChars = max_chars ?? DEFAULT_MAX_CHARS;
    if (!Number.isInteger(maxChars) || maxChars < 1 || maxChars > MAX_MAX_CHARS) {
      throw new PluginError("plugin_invalid_arguments", `max_chars must be an integer from 1 to ${MAX_MAX_CHARS}`);
    }
    const target = parseHttpUrl(url);
    if ("error" in target) throw new PluginError("plugin_invalid_arguments", target.error);

    const res = await ctx.fetch(target.href, {
      headers: { accept: "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8" },
    });
    const finalUrl = res.url !== "" ? res.url : target.href;
    if (!res.ok) {
      await discard(res);
      const message = `${finalUrl} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
      const details = { status: res.status, url: finalUrl };
      if (res.status === 404 || res.status === 410) throw new PluginError("plugin_not_found", message, { details });
      if (res.status === 429) throw new PluginError("plugin_rate_limited", message, { details });
      throw new PluginError("plugin_upstream_error", message, { details });
    }

    const { mimeType, charset } = parseContentType(res.headers.get("content-type"));
    const isHtml = HTML_TYPES.has(mimeType);
    if (!isHtml && mimeType !== "text/plain") {
      await discard(res);
      throw new PluginError(
        "plugin_invalid_arguments",
        `${finalUrl} is ${mimeType === "" ? "of unknown type (no Content-Type)" : mimeType}; only text/html and text/plain pages can be read`,
      );
    }

    const body = await readBody(res);
    const decoded = decodeBytes(body.bytes, charset ?? (isHtml ? sniffHtmlCharset(body.bytes) : undefined));
    const page = isHtml ? htmlToText(decoded, finalUrl) : { title: "", text: normalizePlainText(decoded), links: [] };
    const { text, truncated } = truncate(page.text, maxChars);
    ctx.log.debug("read page", { url: finalUrl, status: res.status, chars: text.length, truncated: truncated || body.truncated });
    return {
      url,
      final_url: finalUrl,
      status: res.status,
      title: page.title,
      text,
      ...(include_links ? { links: page.links } : {}),
      truncated: truncated || body.truncated,
    };
  },
});

/** Reads at most {@link MAX_BODY_BYTES} of the body. */
async function readBody(res: FetchResponse): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (res.body === null) return { bytes: new Uint8Array(await res.arrayBuffer()), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of res.body) {
    const room = MAX_BODY_BYTES - size;
    if (chunk.byteLength >= room) {
      chunks.push(chunk.subarray(0, room));
      size += room;
      truncated = chunk.byteLength > room;
      break;
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, truncated };
}

/** Releases a response body that will not be read. */
async function discard(res: FetchResponse): Promise<void> {
  try {
    if (res.body) for await (const _ of res.body) break;
  } catch {
    // ignore: the body is not needed
  }
}

/**
 * Cuts `text` to at most `max` characters without splitting a surrogate pair.
 *
 * @param text - The text.
 * @param max - The maximum length in UTF-16 code units.
 */
export function truncate(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return { text: text.slice(0, end).trimEnd(), truncated: true };
}
