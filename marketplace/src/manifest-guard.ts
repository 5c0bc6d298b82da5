/**
 * The publish-time manifest guard: the marketplace refuses any package whose
 * `package.json` has no valid `tessera` manifest.
 *
 * It runs inside the Verdaccio child process as a middleware plugin
 * (`verdaccio-plugins/verdaccio-tessera-manifest-guard`, a CommonJS shim that
 * imports this module). Verdaccio 6.8.0 registers middleware plugins after its
 * JWT middleware and before its own npm API router (`build/api/index.js`), so
 * the guard sees the publish request first, with `req.remote_user` already set.
 *
 * What is checked, for every request that can create a version
 * (`PUT /<package>` or `PUT /<package>/-rev/<rev>` with a non-empty
 * `_attachments`): each entry of `versions` — the package.json the client sent —
 * must pass `parseManifest` from `@tessera/sdk`; and the `package.json` inside the
 * attached tarball must be valid too and carry the same name, version and
 * `tessera` manifest, so the catalog (which reads the packument) and the install
 * (which reads the tarball) cannot disagree.
 *
 * A refusal is `400 {"error": "<message>"}`, which the npm CLI prints as
 * `npm error 400 Bad Request - PUT <url> - <message>`.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { isDeepStrictEqual } from "node:util";
import { parseManifest, type ManifestError } from "@tessera/sdk";

/** The outcome of {@link checkPublishBody}. */
export type PublishCheck =
  | { readonly ok: true; readonly publishes: readonly string[] }
  | { readonly ok: false; readonly status: number; readonly error: string };

/** Options of {@link checkPublishBody} and {@link createManifestGuard}. */
export interface ManifestGuardOptions {
  /** Largest request body read, in bytes (Verdaccio's `max_body_size`). Default 50 MiB. */
  readonly maxBodyBytes?: number;
  /** Largest unpacked tarball inspected, in bytes. Default 256 MiB. */
  readonly maxUnpackedBytes?: number;
}

const DEFAULT_MAX_BODY = 50 * 1024 * 1024;
const DEFAULT_MAX_UNPACKED = 256 * 1024 * 1024;

/**
 * Checks one npm publish document (the JSON body of `PUT /<package>`).
 *
 * Bodies without attachments (`npm deprecate`, `npm star`, the metadata step of
 * `npm unpublish`) cannot add versions in Verdaccio (`LocalStorage.changePackage`
 * only removes versions or changes `deprecated`), so they pass.
 */
export function checkPublishBody(body: unknown, options: ManifestGuardOptions = {}): PublishCheck {
  if (!isRecord(body)) return { ok: true, publishes: [] };
  const attachments = body["_attachments"];
  if (!isRecord(attachments) || Object.keys(attachments).length === 0) return { ok: true, publishes: [] };

  const packageName = typeof body["name"] === "string" ? body["name"] : "the package";
  const versions = body["versions"];
  if (!isRecord(versions) || Object.keys(versions).length === 0) {
    return refuse(`Tessera marketplace: refused to publish ${packageName}: the publish request carries no "versions" entry`);
  }

  const published: string[] = [];
  for (const [version, packageJson] of Object.entries(versions)) {
    const label = `${packageName}@${version}`;
    const result = parseManifest(packageJson);
    if (!result.ok) return refuse(`Tessera marketplace: refused to publish ${label}: ${formatErrors(result.errors)}`);
    published.push(label);
  }

  // Verdaccio stores exactly one attachment and one version per publish; check
  // the tarball against the version it will be stored under.
  const [firstVersion] = Object.keys(versions);
  const declared = versions[firstVersion as string] as Record<string, unknown>;
  for (const [filename, attachment] of Object.entries(attachments)) {
    const label = `${packageName}@${String(firstVersion)}`;
    const data = isRecord(attachment) ? attachment["data"] : undefined;
    if (typeof data !== "string") return refuse(`Tessera marketplace: refused to publish ${label}: attachment ${filename} has no data`);
    let inner: unknown;
    try {
      inner = readPackageJsonFromTarball(Buffer.from(data, "base64"), options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED);
    } catch (error) {
      return refuse(`Tessera marketplace: refused to publish ${label}: cannot read package.json from the tarball (${(error as Error).message})`);
    }
    const result = parseManifest(inner);
    if (!result.ok) {
      return refuse(`Tessera marketplace: refused to publish ${label}: the package.json in the tarball is invalid: ${formatErrors(result.errors)}`);
    }
    const innerRecord = inner as Record<string, unknown>;
    for (const field of ["name", "version", "tessera"] as const) {
      if (!isDeepStrictEqual(innerRecord[field], declared[field])) {
        return refuse(
          `Tessera marketplace: refused to publish ${label}: "${field}" in the tarball's package.json differs from the published metadata`,
        );
      }
    }
  }
  return { ok: true, publishes: published };
}

/** Formats manifest errors as one line: `tessera.x: message; tessera.y: message`. */
export function formatErrors(errors: readonly ManifestError[]): string {
  const shown = errors.slice(0, 10).map((e) => (e.path ? `${e.path} ${e.message}` : e.message));
  const more = errors.length > 10 ? `; and ${errors.length - 10} more` : "";
  return `invalid tessera manifest: ${shown.join("; ")}${more}`;
}

/** The subset of an Express request the guard uses. */
export interface GuardRequest extends IncomingMessage {
  path?: string;
  body?: unknown;
  _body?: boolean;
  remote_user?: { name?: string | null | undefined };
}

/** An Express-style middleware. */
export type GuardMiddleware = (req: GuardRequest, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Log sink for the guard (Verdaccio's logger satisfies it). */
export interface GuardLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * `PUT /<package>` and `PUT /<package>/-rev/<rev>` — the two routes of
 * Verdaccio's `publishPackage` (`router.put('/:package/:_rev?/:revision?')`).
 * Scoped names arrive as `@scope%2fname` (npm) or `@scope/name`.
 */
const PUBLISH_PATH = /^\/(?:@[^/]+(?:%2f|%2F|\/)[^/]+|[^/@-][^/]*)(?:\/-rev\/[^/]+)?\/?$/;

/**
 * Returns the Express middleware Verdaccio mounts before its npm API.
 *
 * Anonymous requests are passed on untouched so that Verdaccio answers them
 * with its own 401/403; only authenticated publish requests are read and
 * checked. The parsed body is left on `req.body` with `req._body = true`, so
 * Verdaccio's `express.json()` (body-parser 1.x) does not read the stream again.
 */
export function createManifestGuard(options: ManifestGuardOptions = {}, logger?: GuardLogger): GuardMiddleware {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return (req, res, next) => {
    const path = req.path ?? (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method !== "PUT" || !PUBLISH_PATH.test(path) || req._body) return next();
    if (!req.remote_user?.name) return next();
    readBody(req, maxBodyBytes).then(
      (raw) => {
        let body: unknown;
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          return send(res, 400, "Tessera marketplace: the publish request body is not valid JSON");
        }
        req.body = body;
        req._body = true;
        const check = checkPublishBody(body, options);
        if (!check.ok) {
          logger?.warn({ user: req.remote_user?.name, path, reason: check.error }, "tessera manifest guard refused @{path}: @{reason}");
          return send(res, check.status, check.error);
        }
        if (check.publishes.length > 0) {
          logger?.info({ user: req.remote_user?.name, what: check.publishes.join(", ") }, "tessera manifest guard accepted @{what}");
        }
        next();
      },
      (error: Error & { status?: number }) => send(res, error.status ?? 400, `Tessera marketplace: ${error.message}`),
    );
  };
}

function send(res: ServerResponse, status: number, error: string): void {
  if (res.headersSent) return;
  const payload = JSON.stringify({ error });
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(payload));
  res.end(payload);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(Object.assign(new Error(`the publish request is larger than the ${limit} byte limit`), { status: 413 }));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (error) => {
      if (!failed) {
        failed = true;
        reject(error);
      }
    });
  });
}

function refuse(error: string): PublishCheck {
  return { ok: false, status: 400, error };
}

/**
 * Reads `<top>/package.json` from a gzipped npm tarball (any top-level folder, as
 * pacote extracts with `strip: 1`; the last entry wins, as on extraction).
 * Understands ustar prefixes and pax `path` records.
 */
export function readPackageJsonFromTarball(tgz: Buffer, maxUnpackedBytes = DEFAULT_MAX_UNPACKED): unknown {
  const found = readTopLevelFile(tgz, (name) => name === "package.json", maxUnpackedBytes);
  if (!found) throw new Error("no package.json at the top of the tarball");
  return JSON.parse(found.toString("utf8"));
}

/** The first file at the package's top level whose name matches (e.g. README.md), or undefined. */
export function readTopLevelFile(tgz: Buffer, matches: (name: string) => boolean, maxUnpackedBytes = DEFAULT_MAX_UNPACKED): Buffer | undefined {
  const tar = gunzipSync(tgz, { maxOutputLength: maxUnpackedBytes });
  let offset = 0;
  let paxPath: string | undefined;
  let found: Buffer | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const name = cString(header.subarray(0, 100));
    const size = parseInt(cString(header.subarray(124, 136)).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) throw new Error("corrupt tar header");
    const type = String.fromCharCode(header[156] ?? 0);
    const magic = cString(header.subarray(257, 263));
    const prefix = magic.startsWith("ustar") ? cString(header.subarray(345, 500)) : "";
    const dataStart = offset + 512;
    const data = tar.subarray(dataStart, dataStart + size);
    if (data.length < size) throw new Error("truncated tarball");
    offset = dataStart + Math.ceil(size / 512) * 512;

    if (type === "x") {
      paxPath = parsePaxPath(data) ?? paxPath;
      continue;
    }
    if (type === "g" || type === "L" || type === "K") continue;
    const path = paxPath ?? (prefix ? `${prefix}/${name}` : name);
    paxPath = undefined;
    if (type !== "0" && type !== "\0" && type !== "") continue;
    const segments = path.split("/").filter((s) => s !== "" && s !== ".");
    if (!found && segments.length === 2 && matches(segments[1]!)) found = Buffer.from(data);
  }
  return found;
}

function parsePaxPath(data: Buffer): string | undefined {
  let path: string | undefined;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(data.subarray(at, space).toString("utf8"), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0 && record.slice(0, eq) === "path") path = record.slice(eq + 1);
    at += length;
  }
  return path;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString("utf8");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
