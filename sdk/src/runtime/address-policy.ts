/**
 * Which network destinations a plugin's `fetch` may reach: classification of IP
 * addresses and host names into "public" and the blocked classes (loopback,
 * private, link-local, cloud metadata, …), and the administrator's
 * `allowPrivate` allow-list that may lift the refusal for named destinations.
 *
 * Node-only helper of {@link ./guarded-fetch.ts}; pure functions, no I/O.
 *
 * @module
 */

import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { hostMatches, parseHostPattern } from "../host-pattern.js";

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** Why an address or host name is not a public unicast destination. */
export interface BlockedClass {
  /** Human-readable class, e.g. `"private"`, `"link-local"`, `"IPv4-mapped loopback"`. */
  readonly label: string;
  /**
   * `true` for cloud instance-metadata endpoints: these hand out credentials, so
   * only an exact allow-list entry (never a CIDR range) may unlock them.
   */
  readonly metadata: boolean;
}

/**
 * Host names that cloud providers resolve to their instance-metadata service.
 * They usually resolve to 169.254.169.254 (blocked anyway), but a split-horizon
 * resolver or an egress proxy could answer differently, so the name itself is refused.
 */
const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.azure.internal",
  "metadata.tencentyun.com",
]);

/** Well-known instance-metadata addresses (AWS/GCP/Azure/OCI, AWS IPv6, ECS, Alibaba, Oracle legacy). */
const METADATA_ADDRESSES = new Set(["169.254.169.254", "fd00:ec2:0:0:0:0:0:254", "169.254.170.2", "100.100.100.200", "192.0.0.192"]);

const IPV4_LABELS: Record<string, string> = {
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  linkLocal: "link-local",
  loopback: "loopback",
  carrierGradeNat: "carrier-grade NAT (100.64.0.0/10)",
  private: "private",
  reserved: "reserved",
  as112: "reserved (AS112)",
  amt: "reserved (AMT)",
};

const IPV6_LABELS: Record<string, string> = {
  unspecified: "unspecified",
  linkLocal: "link-local",
  multicast: "multicast",
  loopback: "loopback",
  uniqueLocal: "unique-local (private)",
  deprecatedSiteLocal: "site-local (private)",
  discard: "reserved (discard)",
  benchmarking: "reserved (benchmarking)",
  amt: "reserved (AMT)",
  as112v6: "reserved (AS112)",
  deprecatedOrchid: "reserved (ORCHID)",
  orchid2: "reserved (ORCHID)",
  droneRemoteIdProtocolEntityTags: "reserved (DRIP)",
  segmentRouting: "reserved (segment routing)",
  reserved: "reserved",
};

/**
 * Parses a strictly formatted IP address (as `node:net` would connect to it),
 * folding IPv4-mapped IPv6 (`::ffff:a.b.c.d`) to IPv4 so that allow-list entries
 * and classifications treat both spellings alike. Returns `undefined` for anything else
 * (deliberately rejecting legacy forms such as `0x7f.1`, which `ipaddr.parse` would accept).
 */
export function parseStrictAddress(address: string): Addr | undefined {
  if (isIP(address) === 0) return undefined;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed;
}

function v4FromParts(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

function classifyV4(addr: ipaddr.IPv4): BlockedClass | undefined {
  const text = addr.toString();
  if (METADATA_ADDRESSES.has(text)) return { label: "cloud metadata", metadata: true };
  const range = addr.range();
  if (range === "unicast") return undefined;
  return { label: IPV4_LABELS[range] ?? range, metadata: false };
}

/** Classifies an IPv4 address embedded in a translation/tunnel IPv6 address. */
function classifyEmbedded(kind: string, v4: ipaddr.IPv4): BlockedClass | undefined {
  const inner = classifyV4(v4);
  return inner && { label: `${kind} embedding ${inner.label} ${v4.toString()}`, metadata: inner.metadata };
}

function classifyV6(addr: ipaddr.IPv6): BlockedClass | undefined {
  const p = addr.parts;
  if (METADATA_ADDRESSES.has(addr.toNormalizedString())) return { label: "cloud metadata", metadata: true };
  const range = addr.range();
  // Translation and tunnelling prefixes carry an IPv4 address that a gateway may
  // forward to; judge them by the IPv4 address they embed.
  if (range === "rfc6145") return classifyEmbedded("IPv4-translated", v4FromParts(p[6]!, p[7]!));
  if (range === "rfc6052") {
    // 64:ff9b:1::/48 is the local-use NAT64 prefix: operator-internal by definition.
    if (p[2] !== 0) return { label: "local-use NAT64", metadata: false };
    return classifyEmbedded("NAT64", v4FromParts(p[6]!, p[7]!));
  }
  if (range === "6to4") return classifyEmbedded("6to4", v4FromParts(p[1]!, p[2]!));
  if (range === "teredo") {
    // Teredo carries the server (bits 32–63) and the obfuscated client (last 32 bits, XOR 0xffff).
    return (
      classifyEmbedded("Teredo", v4FromParts(p[2]!, p[3]!)) ??
      classifyEmbedded("Teredo", v4FromParts(p[6]! ^ 0xffff, p[7]! ^ 0xffff))
    );
  }
  if (range !== "unicast") return { label: IPV6_LABELS[range] ?? range, metadata: false };
  // Deprecated IPv4-compatible addresses (::a.b.c.d) and anything outside the
  // global-unicast block 2000::/3 are not legitimate Internet destinations.
  if (p.slice(0, 6).every((x) => x === 0)) return classifyEmbedded("IPv4-compatible", v4FromParts(p[6]!, p[7]!)) ?? { label: "reserved (IPv4-compatible)", metadata: false };
  if ((p[0]! & 0xe000) !== 0x2000) return { label: "reserved (outside 2000::/3)", metadata: false };
  return undefined;
}

/**
 * Classifies an IP address: `undefined` when it is a public unicast address a
 * plugin may reach, otherwise the class that makes it off-limits. Unparseable
 * input is reported as `"invalid address"` (refused, never connected to).
 *
 * @param address - An IPv4 or IPv6 address in standard notation.
 */
export function classifyAddress(address: string): BlockedClass | undefined {
  const original = isIP(address) === 6 ? ipaddr.IPv6.parse(address) : undefined;
  const parsed = parseStrictAddress(address);
  if (!parsed) return { label: "invalid address", metadata: false };
  if (parsed.kind() === "ipv4") {
    const inner = classifyV4(parsed as ipaddr.IPv4);
    // Name the mapping so the message explains why "::ffff:7f00:1" counts as loopback.
    return inner && original ? { label: `IPv4-mapped ${inner.label}`, metadata: inner.metadata } : inner;
  }
  return classifyV6(parsed as ipaddr.IPv6);
}

/**
 * Classifies a host name by its name alone: cloud-metadata names are never
 * treated as public, whatever DNS says.
 *
 * @param hostname - A lower-case host name without brackets.
 */
export function classifyHostname(hostname: string): BlockedClass | undefined {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (METADATA_HOSTS.has(h)) return { label: "cloud metadata host name", metadata: true };
  return undefined;
}

/** Returns `true` for `localhost` and `*.localhost`, which RFC 6761 reserves for loopback. */
export function isLocalhostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

type AllowEntry =
  | { kind: "host"; pattern: string }
  | { kind: "ip"; address: Addr; port?: number }
  | { kind: "cidr"; range: [Addr, number] };

/** A parsed `allowPrivate` list; build it with {@link parseAllowPrivate}. */
export interface PrivateAllowList {
  /**
   * Returns `true` when the administrator allow-listed this destination.
   *
   * @param hostname - The request's host name (bracket-free for IPv6).
   * @param port - The effective port.
   * @param address - The resolved address about to be connected to.
   * @param blocked - Its classification; metadata classes ignore CIDR entries.
   */
  allows(hostname: string, port: number, address: string, blocked: BlockedClass): boolean;
}

function parseAllowEntry(entry: string): AllowEntry {
  const bad = (why: string): never => {
    throw new TypeError(`Invalid allowPrivate entry "${entry}": ${why}`);
  };
  if (entry.includes("/")) {
    if (!ipaddr.isValidCIDR(entry)) bad("not a valid CIDR range");
    const [range, bits] = ipaddr.parseCIDR(entry);
    // "::ffff:10.0.0.0/104" means the same as "10.0.0.0/8": addresses are folded the same way.
    const folded = bits >= 96 ? parseStrictAddress(range.toString()) ?? range : range;
    return { kind: "cidr", range: [folded, folded.kind() === range.kind() ? bits : bits - 96] };
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const plainPort = /^([^:]+):(\d+)$/.exec(entry);
  const [ipText, portText] = bracketed ? [bracketed[1]!, bracketed[2]] : isIP(entry) ? [entry, undefined] : plainPort ? [plainPort[1]!, plainPort[2]] : [entry, undefined];
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) bad("port must be between 1 and 65535");
  const address = parseStrictAddress(ipText);
  if (address) return port === undefined ? { kind: "ip", address } : { kind: "ip", address, port };
  if (bracketed) bad("not a valid IPv6 address");
  const parsed = parseHostPattern(entry);
  if (!parsed.ok) bad(parsed.reason);
  // "*" here would silently switch the whole private-address guard off.
  if (parsed.ok && parsed.pattern.anyHost) bad('"*" is not allowed; name the host, address or CIDR range');
  return { kind: "host", pattern: entry };
}

/**
 * Parses the administrator's `allowPrivate` list, throwing a `TypeError` that
 * names the first invalid entry (configuration errors should fail loudly at startup).
 *
 * Accepted entries: `host`, `host:port`, `*.domain[:port]`, `ip`, `ip:port`,
 * `[ipv6]`, `[ipv6]:port`, and CIDR ranges such as `10.0.0.0/8` or `fd00::/8`.
 *
 * @param entries - The raw entries.
 */
export function parseAllowPrivate(entries: readonly string[] = []): PrivateAllowList {
  const parsed = entries.map(parseAllowEntry);
  return {
    allows(hostname, port, address, blocked) {
      const addr = parseStrictAddress(address);
      return parsed.some((e) => {
        if (e.kind === "host") return hostMatches(e.pattern, hostname, port);
        if (!addr) return false;
        if (e.kind === "ip") {
          return (e.port === undefined || e.port === port) && e.address.kind() === addr.kind() && e.address.toNormalizedString() === addr.toNormalizedString();
        }
        if (blocked.metadata) return false;
        return e.range[0].kind() === addr.kind() && addr.match(e.range);
      });
    },
  };
}
