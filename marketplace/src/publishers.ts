/**
 * Small HTTP helpers for the marketplace's npm-registry API: publisher
 * accounts, search and packuments. Used by tests and by the kernel.
 *
 * @module
 */

/** An error answer from the registry. */
import { publishPackage, type PackageSignature } from "@tessera/sdk/publishing";
import { readPackageJsonFromTarball, readTopLevelFile } from "./manifest-guard.js";

export class RegistryHttpError extends Error {
  constructor(
    message: string,
    /** HTTP status. */
    readonly status: number,
  ) {
    super(message);
    this.name = "RegistryHttpError";
  }
}

/**
 * Creates a publisher account (`PUT /-/user/org.couchdb.user:<name>`, what
 * `npm adduser` sends) and returns its npm token.
 *
 * Fails with a {@link RegistryHttpError} (409) if the name is taken or
 * registration is disabled.
 */
export async function createUser(url: string, name: string, password: string): Promise<string> {
  return userPut(url, name, password, undefined);
}

/**
 * Logs an existing publisher in and returns a token: the same PUT with HTTP basic
 * credentials, which Verdaccio answers by authenticating instead of registering
 * (works when registration is disabled).
 */
export async function login(url: string, name: string, password: string): Promise<string> {
  return userPut(url, name, password, `Basic ${Buffer.from(`${name}:${password}`).toString("base64")}`);
}

async function userPut(url: string, name: string, password: string, authorization: string | undefined): Promise<string> {
  const id = `org.couchdb.user:${name}`;
  const response = await fetch(`${trim(url)}/-/user/${encodeURIComponent(id)}`, {
    method: "PUT",
    headers: { "content-type": "application/json", accept: "application/json", ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ _id: id, name, password, type: "user", roles: [], date: new Date().toISOString() }),
  });
  const body = (await readJson(response)) as { token?: unknown; error?: unknown } | undefined;
  if (!response.ok || typeof body?.token !== "string") {
    throw new RegistryHttpError(
      `marketplace: ${authorization ? "login" : "creating user"} "${name}" failed: HTTP ${response.status}${errorText(body)}`,
      response.status,
    );
  }
  return body.token;
}

/**
 * One hit of {@link search}, as Verdaccio 6 returns it: the package's latest
 * metadata with `dist-tags` and a `versions` map (version → tag), not npmjs.org's
 * `version` field. Verdaccio matches the text as a substring of the name,
 * `displayName` or description (space-separated words must all match;
 * `author:<text>` matches the author); keywords and the `tessera` manifest are
 * not searched.
 */
export interface SearchHit {
  readonly package: {
    readonly name: string;
    readonly description?: string;
    readonly "dist-tags"?: Readonly<Record<string, string>>;
    readonly versions?: Readonly<Record<string, string>>;
    readonly keywords?: readonly string[];
    readonly time?: Readonly<Record<string, string>>;
    readonly license?: string;
    readonly [key: string]: unknown;
  };
  readonly local?: boolean;
  readonly score?: unknown;
  readonly searchScore?: number;
}

/** Result of {@link search}: npm's `/-/v1/search` shape. */
export interface SearchResult {
  readonly objects: readonly SearchHit[];
  readonly total: number;
  readonly time?: string;
}

/** Searches the registry by text (`GET /-/v1/search?text=`). */
export async function search(url: string, text: string, options: { size?: number; from?: number; token?: string } = {}): Promise<SearchResult> {
  const query = new URLSearchParams({ text, size: String(options.size ?? 20), from: String(options.from ?? 0) });
  const response = await fetch(`${trim(url)}/-/v1/search?${query}`, { headers: headers(options.token) });
  const body = (await readJson(response)) as SearchResult | undefined;
  if (!response.ok || !body || !Array.isArray(body.objects)) {
    throw new RegistryHttpError(`marketplace: search failed: HTTP ${response.status}${errorText(body)}`, response.status);
  }
  return body;
}

/** A package document (all versions), as far as the marketplace uses it. */
export interface Packument {
  readonly name: string;
  readonly "dist-tags": Readonly<Record<string, string>>;
  readonly versions: Readonly<Record<string, Readonly<Record<string, unknown>> & { readonly tessera?: unknown; readonly dist?: { readonly tarball: string; readonly integrity?: string; readonly shasum?: string } }>>;
  readonly time?: Readonly<Record<string, string>>;
  readonly readme?: string;
  readonly [key: string]: unknown;
}

/** Fetches a package's packument, or `undefined` if the registry has no such package. */
export async function packument(url: string, name: string, options: { token?: string } = {}): Promise<Packument | undefined> {
  const response = await fetch(`${trim(url)}/${encodePackageName(name)}`, { headers: headers(options.token) });
  const body = await readJson(response);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new RegistryHttpError(`marketplace: fetching ${name} failed: HTTP ${response.status}${errorText(body)}`, response.status);
  return body as Packument;
}

/**
 * The `.npmrc` lines that point the npm CLI at the registry with a token, for
 * `npm publish --userconfig <file>`.
 */
export function npmrcFor(url: string, token: string): string {
  const u = new URL(trim(url));
  return `registry=${u.origin}${u.pathname.replace(/\/$/, "")}/\n//${u.host}${u.pathname.replace(/\/$/, "")}/:_authToken=${token}\n`;
}

/** `@scope/name` → `@scope%2fname` (the form npm uses in URLs). */
export function encodePackageName(name: string): string {
  return name.startsWith("@") ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}

function headers(token: string | undefined): Record<string, string> {
  return { accept: "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { error: text.slice(0, 200) };
  }
}

function errorText(body: unknown): string {
  if (typeof body === "object" && body !== null) {
    const { error, reason } = body as { error?: unknown; reason?: unknown };
    if (typeof error === "string") return ` - ${error}`;
    if (typeof reason === "string") return ` - ${reason}`;
  }
  return "";
}

function trim(url: string): string {
  return url.replace(/\/+$/, "");
}

/**
 * Publishes an npm tarball as `npm publish` would (one PUT of the packument with
 * the tarball attached), without the npm CLI — also for packages marked
 * `private`, such as the first-party plugins seeded into the embedded registry.
 */
export async function publishTarball(url: string, token: string, tarball: Buffer, signature?: PackageSignature): Promise<{ name: string; version: string }> {
  const pkg = readPackageJsonFromTarball(tarball) as Record<string, unknown>;
  // As `npm publish` does: the README travels in the metadata, so the catalog can show it.
  const readme = readTopLevelFile(tarball, (name) => /^readme(\.md|\.markdown|\.txt)?$/i.test(name));
  if (readme && typeof pkg.readme !== "string") pkg.readme = readme.toString("utf8").slice(0, 64 * 1024);
  try {
    const { name, version } = await publishPackage(url, token, pkg, tarball, signature);
    return { name, version };
  } catch (error) {
    const status = Number(/HTTP (\d{3})/.exec((error as Error).message)?.[1] ?? 0);
    throw new RegistryHttpError(`marketplace: ${(error as Error).message}`, status);
  }
}
