/**
 * Where a single hop of the guarded fetch may go: URL shape and grant checks
 * (rule 1) and the one-shot DNS resolution whose every answer must be public or
 * allow-listed (rules 2–3). Node-only helper of {@link ./guarded-fetch.ts}.
 *
 * @module
 */

import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { isHostAllowed } from "../host-pattern.js";
import { classifyAddress, classifyHostname, isLocalhostName, parseStrictAddress, type PrivateAllowList } from "./address-policy.js";
import { FetchDeniedError } from "./fetch-errors.js";

/** An address that passed the policy, in canonical form, ready to connect to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** The grant fields this module needs (see `FetchGrant`). */
export interface HostGrant {
  hosts: readonly string[];
}

const deny = (code: FetchDeniedError["code"], message: string): FetchDeniedError => new FetchDeniedError(code, message);

/**
 * Rule 1: scheme, credentials and grant — checked before any DNS traffic.
 *
 * @returns The bracket-free host and the effective port.
 * @throws FetchDeniedError `plugin_bad_request` or `plugin_host_not_allowed`.
 */
export function checkUrl(url: URL, grant: HostGrant): { host: string; port: number } {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw deny("plugin_bad_request", `Only http: and https: URLs may be fetched, not ${url.protocol}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw deny("plugin_bad_request", `URLs with credentials are not allowed (${url.host}); send an Authorization header instead`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  // WHATWG parsing already canonicalises 2130706433 / 0x7f.1 / 0177.0.0.1 to
  // dotted decimal; anything still numeric-looking would be re-interpreted by
  // getaddrinfo, so refuse it rather than guess.
  if (isIP(host) === 0 && ipaddr.IPv4.isValid(host)) throw deny("plugin_bad_request", `Ambiguous numeric host "${host}"`);
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  if (!isHostAllowed(grant.hosts, url.hostname, port)) {
    throw deny("plugin_host_not_allowed", `Host "${url.host}" is not among the network hosts granted to this plugin`);
  }
  return { host, port };
}

/**
 * Rules 2–3: resolve once and refuse unless every address is public or allow-listed.
 *
 * @returns The vetted addresses; connect only to these.
 * @throws FetchDeniedError `plugin_address_blocked` naming the host, address and class.
 */
export async function vetDestination(
  host: string,
  port: number,
  allow: PrivateAllowList,
  lookup: (hostname: string) => Promise<ResolvedAddress[]>,
): Promise<ResolvedAddress[]> {
  const hint = "unless an administrator allow-lists it (allowPrivate)";
  const nameClass = classifyHostname(host);
  if (nameClass && !allow.allows(host, port, "", nameClass)) {
    throw deny("plugin_address_blocked", `Host "${host}" is a ${nameClass.label} and may not be fetched ${hint}`);
  }
  if (isLocalhostName(host)) {
    // RFC 6761: localhost is loopback without asking DNS; connect to whichever
    // loopback address the admin allowed (both are loopback, so none is riskier).
    const allowed = ["127.0.0.1", "::1"].filter((a) => allow.allows(host, port, a, classifyAddress(a)!));
    if (allowed.length === 0) throw deny("plugin_address_blocked", `Host "${host}" is a loopback address and may not be fetched ${hint}`);
    return allowed.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
  }
  const literal = isIP(host) !== 0;
  const answers = literal ? [{ address: host, family: isIP(host) as 4 | 6 }] : await lookup(host);
  if (!Array.isArray(answers) || answers.length === 0) throw new Error(`DNS lookup for "${host}" returned no addresses`);
  const vetted: ResolvedAddress[] = [];
  for (const { address } of answers) {
    const blocked = classifyAddress(String(address));
    if (blocked && !allow.allows(host, port, String(address), blocked)) {
      const what = literal ? `"${host}" is` : `Host "${host}" resolves to ${address}, which is`;
      throw deny("plugin_address_blocked", `${what} a ${blocked.label} address and may not be fetched ${hint}`);
    }
    // Connect to the canonical form (IPv4-mapped folded to IPv4) of what was checked.
    const canonical = parseStrictAddress(String(address))!;
    vetted.push({ address: canonical.toString(), family: canonical.kind() === "ipv6" ? 6 : 4 });
  }
  return vetted;
}

