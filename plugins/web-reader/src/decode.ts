/**
 * Turning response bytes into text.
 *
 * @module
 */

import { PluginError } from "@tessera/sdk";

/** A parsed `Content-Type` header. */
export interface ContentType {
  /** The lower-cased MIME type, e.g. `text/html`; `""` when the header is missing. */
  readonly mimeType: string;
  /** The `charset` parameter, lower-cased, if any. */
  readonly charset: string | undefined;
}

/**
 * Parses a `Content-Type` header value.
 *
 * @param header - The header value, or `null`.
 */
export function parseContentType(header: string | null): ContentType {
  if (header === null) return { mimeType: "", charset: undefined };
  const [type = "", ...params] = header.split(";");
  let charset: string | undefined;
  for (const param of params) {
    const m = /^\s*charset\s*=\s*"?([^";\s]+)"?\s*$/i.exec(param);
    if (m?.[1]) charset = m[1].toLowerCase();
  }
  return { mimeType: type.trim().toLowerCase(), charset };
}

/**
 * Finds a `<meta charset>` or `<meta http-equiv content="...charset=...">`
 * declaration in the first 1024 bytes of an HTML document.
 *
 * @param bytes - The start of the document.
 */
export function sniffHtmlCharset(bytes: Uint8Array): string | undefined {
  let head = "";
  const end = Math.min(bytes.length, 1024);
  for (let i = 0; i < end; i++) head += String.fromCharCode(bytes[i] as number);
  const m = /<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.-]+)/i.exec(head);
  return m?.[1]?.toLowerCase();
}

interface TextDecoderLike {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
type TextDecoderConstructor = new (label?: string, options?: { fatal?: boolean }) => TextDecoderLike;

/**
 * Decodes `bytes` as `charset` (falling back to UTF-8 when the charset is
 * unknown to the runtime). A byte-order mark overrides the declared charset.
 *
 * @throws PluginError `plugin_internal_error` when the runtime provides no `TextDecoder`.
 */
export function decodeBytes(bytes: Uint8Array, charset: string | undefined): string {
  const Decoder = (globalThis as { TextDecoder?: TextDecoderConstructor }).TextDecoder;
  if (typeof Decoder !== "function") {
    throw new PluginError(
      "plugin_internal_error",
      "this runtime has no TextDecoder; the web-reader plugin needs a Tessera kernel whose plugin isolates provide TextEncoder/TextDecoder",
    );
  }
  let label = charset ?? "utf-8";
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) label = "utf-8";
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) label = "utf-16be";
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) label = "utf-16le";
  let decoder: TextDecoderLike;
  try {
    decoder = new Decoder(label);
  } catch {
    decoder = new Decoder("utf-8");
  }
  return decoder.decode(bytes).replace(/^\uFEFF/, "");
}
