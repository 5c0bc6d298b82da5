/**
 * Network permission patterns: the entries of a manifest's
 * `permissions.network.hosts`, and how the kernel matches requests against them.
 *
 * A pattern is one of:
 * - an exact host: `api.openai.com`, `127.0.0.1`, `localhost`;
 * - a subdomain wildcard: `*.openai.azure.com` — matches any host *below*
 *   `openai.azure.com` (at any depth) but not `openai.azure.com` itself;
 * - `*` — any host (a powerful permission that administrators must approve);
 *
 * each optionally followed by `:port`. A pattern without a port allows every port.
 * Host names are lower-case; IPv6 literals are not supported.
 *
 * @module
 */

/** A parsed host pattern. */
export interface HostPattern {
  /** `true` for the `*` pattern. */
  readonly anyHost: boolean;
  /** `true` for `*.domain` patterns. */
  readonly subdomains: boolean;
  /** The host (for `*.domain`: the domain, without `*.`); empty for `*`. */
  readonly host: string;
  /** The port, when the pattern names one. */
  readonly port?: number;
}

/** The result of {@link parseHostPattern}. */
export type HostPatternResult =
  | { readonly ok: true; readonly pattern: HostPattern }
  | { readonly ok: false; readonly reason: string };

const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Parses and validates a host pattern, explaining what is wrong with an invalid one.
 *
 * @param pattern - A pattern such as `"*.example.com:8443"`.
 */
export function parseHostPattern(pattern: string): HostPatternResult {
  const fail = (reason: string): HostPatternResult => ({ ok: false, reason });
  if (typeof pattern !== "string" || pattern.trim() === "") return fail("must be a non-empty host name");
  if (pattern !== pattern.trim() || /\s/.test(pattern)) return fail("must not contain whitespace");
  if (pattern.includes("://")) return fail("must be a host name, not a URL (drop the scheme, e.g. \"api.example.com\")");
  if (/[/?#@]/.test(pattern)) return fail("must be a host name without path, query or user info");
  let host = pattern;
  let port: number | undefined;
  const portMatch = /^(.*):(\d+)$/.exec(pattern);
  if (portMatch) {
    host = portMatch[1] ?? "";
    port = Number(portMatch[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail("port must be between 1 and 65535");
  }
  if (host.includes(":")) return fail("must be host or host:port (IPv6 literals are not supported)");
  if (host !== host.toLowerCase()) return fail("must be lower-case");
  const withPort = (p: Omit<HostPattern, "port">): HostPatternResult => ({
    ok: true,
    pattern: port === undefined ? p : { ...p, port },
  });
  if (host === "*") return withPort({ anyHost: true, subdomains: false, host: "" });
  const subdomains = host.startsWith("*.");
  const domain = subdomains ? host.slice(2) : host;
  if (domain.includes("*")) return fail("a wildcard is only allowed as the whole first label, as in \"*.example.com\"");
  if (domain.length > 253) return fail("host name is longer than 253 characters");
  const labels = domain.split(".");
  for (const label of labels) {
    if (label === "") return fail("host name has an empty label (check for stray dots)");
    if (!LABEL_RE.test(label)) return fail(`label "${label}" may only contain a-z, 0-9 and inner hyphens`);
  }
  if (subdomains && labels.length < 2) return fail("a wildcard must be followed by at least two labels, as in \"*.example.com\"");
  return withPort({ anyHost: false, subdomains, host: domain });
}

/**
 * Returns `true` if `pattern` is a valid host pattern.
 *
 * @param pattern - Any value.
 */
export function isValidHostPattern(pattern: unknown): pattern is string {
  return typeof pattern === "string" && parseHostPattern(pattern).ok;
}

/**
 * Returns `true` if a request to `host`:`port` is allowed by `pattern`.
 * Invalid patterns match nothing.
 *
 * @param pattern - A host pattern.
 * @param host - The request's host name (as in `URL.hostname`; compared case-insensitively).
 * @param port - The request's effective port (e.g. 443 for `https:` without an explicit port).
 */
export function hostMatches(pattern: string, host: string, port: number): boolean {
  const parsed = parseHostPattern(pattern);
  if (!parsed.ok) return false;
  const p = parsed.pattern;
  if (p.port !== undefined && p.port !== port) return false;
  if (p.anyHost) return true;
  const h = host.toLowerCase().replace(/\.$/, "");
  return p.subdomains ? h.endsWith(`.${p.host}`) : h === p.host;
}

/**
 * Returns `true` if any of `patterns` allows a request to `host`:`port`.
 *
 * @param patterns - The manifest's `permissions.network.hosts`.
 * @param host - The request's host name.
 * @param port - The request's effective port.
 */
export function isHostAllowed(patterns: readonly string[], host: string, port: number): boolean {
  return patterns.some((pattern) => hostMatches(pattern, host, port));
}

/**
 * Returns `true` if granting `pattern` gives no more than `declared` allows:
 * it is one of the declared patterns, or a concrete host (no wildcard) that a
 * declared pattern matches (on its port, or on 80 and 443 when it has none).
 * Admins can narrow what a manifest declares, never widen it.
 *
 * @param pattern - The host pattern an admin wants to grant.
 * @param declared - The manifest's `permissions.network.hosts`.
 */
export function isPatternCovered(pattern: string, declared: readonly string[]): boolean {
  if (declared.includes(pattern)) return true;
  const parsed = parseHostPattern(pattern);
  if (!parsed.ok || parsed.pattern.anyHost || parsed.pattern.subdomains) return false;
  const { host, port } = parsed.pattern;
  return declared.some((d) => (port === undefined ? hostMatches(d, host, 443) && hostMatches(d, host, 80) : hostMatches(d, host, port)));
}
