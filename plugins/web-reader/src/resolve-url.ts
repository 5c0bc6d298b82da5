/**
 * URI reference parsing and resolution after RFC 3986, without the global
 * `URL` class (plugin isolates do not have it).
 *
 * @module
 */

/** The five components of a URI reference (RFC 3986 §3); absent components are `undefined`. */
export interface UriParts {
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  readonly path: string;
  readonly query: string | undefined;
  readonly fragment: string | undefined;
}

// RFC 3986 Appendix B.
const URI_RE = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;
const NO_SCHEME_RE = /^(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/**
 * Splits a URI reference into its components (RFC 3986 Appendix B). A
 * "scheme" that is not a valid scheme name is treated as part of the path.
 *
 * @param reference - A URI or relative reference.
 */
export function parseUri(reference: string): UriParts {
  const m = URI_RE.exec(reference) as RegExpExecArray;
  const scheme = m[1];
  if (scheme !== undefined && !SCHEME_RE.test(scheme)) {
    // e.g. "1abc:def" is a relative path, not a URI with scheme "1abc"
    const r = NO_SCHEME_RE.exec(reference) as RegExpExecArray;
    return { scheme: undefined, authority: r[1], path: r[2] ?? "", query: r[3], fragment: r[4] };
  }
  return { scheme, authority: m[2], path: m[3] ?? "", query: m[4], fragment: m[5] };
}

/** Recomposes components into a URI reference (RFC 3986 §5.3). */
export function formatUri(parts: UriParts): string {
  let result = "";
  if (parts.scheme !== undefined) result += `${parts.scheme}:`;
  if (parts.authority !== undefined) result += `//${parts.authority}`;
  result += parts.path;
  if (parts.query !== undefined) result += `?${parts.query}`;
  if (parts.fragment !== undefined) result += `#${parts.fragment}`;
  return result;
}

/** Removes `.` and `..` segments from a path (RFC 3986 §5.2.4). */
export function removeDotSegments(path: string): string {
  let input = path;
  let output = "";
  while (input !== "") {
    if (input.startsWith("../")) input = input.slice(3);
    else if (input.startsWith("./")) input = input.slice(2);
    else if (input.startsWith("/./")) input = input.slice(2);
    else if (input === "/.") input = "/";
    else if (input.startsWith("/../")) {
      input = input.slice(3);
      output = output.slice(0, Math.max(0, output.lastIndexOf("/")));
    } else if (input === "/..") {
      input = "/";
      output = output.slice(0, Math.max(0, output.lastIndexOf("/")));
    } else if (input === "." || input === "..") input = "";
    else {
      const next = input.indexOf("/", input.startsWith("/") ? 1 : 0);
      const segment = next === -1 ? input : input.slice(0, next);
      output += segment;
      input = input.slice(segment.length);
    }
  }
  return output;
}

/** Merges a relative path with the base's path (RFC 3986 §5.2.3). */
function merge(base: UriParts, path: string): string {
  if (base.authority !== undefined && base.path === "") return `/${path}`;
  const slash = base.path.lastIndexOf("/");
  return slash === -1 ? path : base.path.slice(0, slash + 1) + path;
}

/**
 * Resolves `reference` against the absolute URI `base` (RFC 3986 §5.2.2,
 * strict mode). Leading and trailing whitespace of `reference` is ignored,
 * as browsers do for `href` attributes.
 *
 * @param base - An absolute URI, e.g. the final URL of a fetched page.
 * @param reference - A URI reference, e.g. an `href` attribute value.
 */
export function resolveUrl(base: string, reference: string): string {
  const b = parseUri(base);
  const r = parseUri(reference.trim());
  let scheme: string | undefined;
  let authority: string | undefined;
  let path: string;
  let query: string | undefined;
  if (r.scheme !== undefined) {
    scheme = r.scheme;
    authority = r.authority;
    path = removeDotSegments(r.path);
    query = r.query;
  } else {
    if (r.authority !== undefined) {
      authority = r.authority;
      path = removeDotSegments(r.path);
      query = r.query;
    } else {
      if (r.path === "") {
        path = b.path;
        query = r.query ?? b.query;
      } else {
        path = r.path.startsWith("/") ? removeDotSegments(r.path) : removeDotSegments(merge(b, r.path));
        query = r.query;
      }
      authority = b.authority;
    }
    scheme = b.scheme;
  }
  return formatUri({ scheme, authority, path, query, fragment: r.fragment });
}

/** An absolute `http:`/`https:` URL, split into the parts the reader needs. */
export interface HttpUrl {
  /** `http` or `https`, lower-cased. */
  readonly scheme: "http" | "https";
  /** The host (lower-cased), without user info or port. */
  readonly host: string;
  /** The URL without its fragment, with scheme and host lower-cased and an empty path normalised to `/`. */
  readonly href: string;
}

/**
 * Parses an absolute `http:` or `https:` URL, or returns why it is not one.
 *
 * @param input - The URL to check.
 */
export function parseHttpUrl(input: string): HttpUrl | { readonly error: string } {
  const url = input.trim();
  if (url === "") return { error: "url is empty" };
  if (/[\u0000-\u001f\u007f]/.test(url)) return { error: "url contains control characters" };
  const parts = parseUri(url);
  if (parts.scheme === undefined) return { error: `"${url}" is not an absolute URL; include the scheme, e.g. https://` };
  const scheme = parts.scheme.toLowerCase();
  if (scheme !== "http" && scheme !== "https") return { error: `only http and https URLs can be read, not ${scheme}:` };
  if (parts.authority === undefined || parts.authority === "") return { error: `"${url}" has no host` };
  const hostPort = parts.authority.slice(parts.authority.lastIndexOf("@") + 1);
  const host = (hostPort.startsWith("[") ? hostPort.slice(0, hostPort.indexOf("]") + 1) : hostPort.replace(/:\d*$/, "")).toLowerCase();
  if (host === "") return { error: `"${url}" has no host` };
  if (/[\s<>"{}|\\^`%]/.test(host)) return { error: `"${host}" is not a valid host name` };
  const authority = parts.authority.slice(0, parts.authority.length - hostPort.length) + hostPort.toLowerCase();
  const href = formatUri({ scheme, authority, path: parts.path === "" ? "/" : parts.path, query: parts.query, fragment: undefined })
    // Browsers percent-encode spaces typed into the address bar; do the same.
    .replace(/ /g, "%20");
  return { scheme, host, href };
}
