/**
 * Validation of a plugin's `package.json` and its `tessera` manifest.
 *
 * @module
 */

import { ValueErrorType, type ValueError } from "@sinclair/typebox/errors";
import { Value } from "@sinclair/typebox/value";
import { parseHostPattern } from "./host-pattern.js";
import {
  DEFAULT_PLUGIN_MAIN,
  DEFAULT_PLUGIN_RUNTIME,
  ManifestSchema,
  type Manifest,
  type ManifestContributionGroup,
  type ResolvedManifest,
} from "./manifest.js";
import { isValidRange, satisfies } from "./semver.js";
import { SDK_API_VERSION } from "./version.js";

/** One problem found by {@link parseManifest}. */
export interface ManifestError {
  /**
   * Where the problem is, as a JavaScript-style path into `package.json`,
   * e.g. `tessera.contributes.tools[0].id`; empty for the document itself.
   */
  readonly path: string;
  /** What is wrong and, where possible, what is expected. */
  readonly message: string;
}

/** The result of {@link parseManifest}. */
export type ParseManifestResult =
  | {
      /** The manifest is valid. */
      readonly ok: true;
      /** The manifest with defaults applied. */
      readonly manifest: ResolvedManifest;
      /** The package name. */
      readonly name: string;
      /** The package version. */
      readonly version: string;
    }
  | {
      /** The manifest is invalid. */
      readonly ok: false;
      /** One error per bad field: schema violations first, then cross-field rules. */
      readonly errors: readonly ManifestError[];
    };

const PACKAGE_NAME_RE = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const PACKAGE_VERSION_RE = /^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const GROUP_NOUN: Readonly<Record<ManifestContributionGroup, string>> = {
  tools: "tool",
  modelProviders: "model provider",
  nodes: "node",
  vectorStores: "vector store",
  documentLoaders: "document loader",
};

/** Collects errors, keeping the first message for each path. */
class Errors {
  private readonly byPath = new Map<string, string>();
  add(path: string, message: string): void {
    if (!this.byPath.has(path)) this.byPath.set(path, message);
  }
  has(path: string): boolean {
    return this.byPath.has(path);
  }
  list(): ManifestError[] {
    return [...this.byPath].map(([path, message]) => ({ path, message }));
  }
}

/**
 * Validates a plugin's `package.json` (already parsed from JSON) and returns
 * its manifest, or one readable error per bad field.
 *
 * Checks the package `name` and `version`, the `tessera` manifest against
 * {@link ManifestSchema} (unknown fields included), that `apiVersion` is a
 * valid range satisfied by {@link SDK_API_VERSION}, that `main` stays inside
 * the package, that contribution ids are unique within each kind, that host
 * patterns are valid, and a few cross-field rules.
 *
 * @example
 * ```ts
 * const result = parseManifest(JSON.parse(await readFile("package.json", "utf8")));
 * if (!result.ok) for (const e of result.errors) console.error(`${e.path}: ${e.message}`);
 * ```
 * @param packageJson - The parsed `package.json`.
 */
export function parseManifest(packageJson: unknown): ParseManifestResult {
  const errors = new Errors();
  if (!isRecord(packageJson)) {
    return { ok: false, errors: [{ path: "", message: "package.json must be a JSON object" }] };
  }
  const { name, version, tessera } = packageJson;
  if (typeof name !== "string" || name === "") errors.add("name", "is required: the npm package name of the plugin");
  else if (!PACKAGE_NAME_RE.test(name)) errors.add("name", `"${name}" is not a valid npm package name`);
  if (typeof version !== "string" || version === "") errors.add("version", "is required: the plugin's semver version");
  else if (!PACKAGE_VERSION_RE.test(version)) errors.add("version", `"${version}" is not a valid semver version`);

  if (tessera === undefined) {
    errors.add("tessera", 'is missing: a plugin\'s package.json must declare its manifest in a "tessera" field');
  } else if (!isRecord(tessera)) {
    errors.add("tessera", "must be an object");
  } else {
    for (const error of Value.Errors(ManifestSchema, tessera)) {
      errors.add(toPath(error.path), describe(error));
    }
    checkSemantics(tessera, errors);
  }

  const list = errors.list();
  if (list.length > 0) return { ok: false, errors: list };
  const manifest = Value.Clone(tessera) as Manifest;
  return {
    ok: true,
    name: name as string,
    version: version as string,
    manifest: { ...manifest, runtime: manifest.runtime ?? DEFAULT_PLUGIN_RUNTIME, main: manifest.main ?? DEFAULT_PLUGIN_MAIN },
  };
}

/** Rules a JSON Schema cannot express. Written defensively: the input may be invalid. */
function checkSemantics(tessera: Record<string, unknown>, errors: Errors): void {
  const { apiVersion, main, contributes, permissions } = tessera;
  if (typeof apiVersion === "string") {
    if (!isValidRange(apiVersion)) {
      errors.add("tessera.apiVersion", `"${apiVersion}" is not a valid semver range (expected something like "^1.0.0")`);
    } else if (!satisfies(SDK_API_VERSION, apiVersion)) {
      errors.add(
        "tessera.apiVersion",
        `requires plugin API "${apiVersion}", but this SDK implements API ${SDK_API_VERSION}; rebuild the plugin against a compatible @tessera/sdk`,
      );
    }
  }
  if (typeof main === "string" && main !== "") {
    const problem = mainPathProblem(main);
    if (problem) errors.add("tessera.main", problem);
  }
  if (isRecord(contributes)) checkContributes(contributes, errors);
  if (isRecord(permissions) && isRecord(permissions["network"])) {
    const hosts = permissions["network"]["hosts"];
    if (Array.isArray(hosts)) {
      hosts.forEach((host: unknown, i) => {
        if (typeof host !== "string") return errors.add(`tessera.permissions.network.hosts[${i}]`, "must be a string");
        const parsed = parseHostPattern(host);
        if (!parsed.ok) errors.add(`tessera.permissions.network.hosts[${i}]`, `"${host}" is not a valid host pattern: ${parsed.reason}`);
      });
    }
  }
}

function checkContributes(contributes: Record<string, unknown>, errors: Errors): void {
  let total = 0;
  for (const group of Object.keys(GROUP_NOUN) as ManifestContributionGroup[]) {
    const entries = contributes[group];
    if (!Array.isArray(entries)) continue;
    total += entries.length;
    const firstIndex = new Map<string, number>();
    entries.forEach((entry: unknown, i) => {
      if (!isRecord(entry)) return;
      const at = `tessera.contributes.${group}[${i}]`;
      const id = entry["id"];
      if (typeof id === "string") {
        const first = firstIndex.get(id);
        if (first === undefined) firstIndex.set(id, i);
        else errors.add(`${at}.id`, `duplicate ${GROUP_NOUN[group]} id "${id}" (already used by tessera.contributes.${group}[${first}])`);
      }
      if (group === "tools" && isRecord(entry["parameters"]) && entry["parameters"]["type"] !== "object") {
        errors.add(`${at}.parameters`, 'must be an object schema ({ "type": "object", "properties": { ... } })');
      }
      if (group === "documentLoaders" && isEmptyList(entry["extensions"]) && isEmptyList(entry["mimeTypes"])) {
        errors.add(at, 'must declare at least one entry in "extensions" or "mimeTypes"');
      }
    });
  }
  if (total === 0 && Object.keys(contributes).every((k) => k in GROUP_NOUN)) {
    errors.add(
      "tessera.contributes",
      "declares no contributions; add at least one of tools, modelProviders, nodes, vectorStores, documentLoaders",
    );
  }
}

function mainPathProblem(main: string): string | undefined {
  if (main.startsWith("/") || main.includes("\\") || /^[a-zA-Z]:/.test(main)) {
    return `"${main}" must be a relative path with forward slashes, such as "${DEFAULT_PLUGIN_MAIN}"`;
  }
  if (main.split("/").some((segment) => segment === "..")) return `"${main}" must stay inside the package (no ".." segments)`;
  if (!/\.(?:js|mjs)$/.test(main)) return `"${main}" must point to an ES module bundle ending in .js or .mjs`;
  return undefined;
}

/** Turns a TypeBox error into a message for humans. */
function describe(error: ValueError): string {
  const schema = error.schema as Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return "is required";
    case ValueErrorType.ObjectAdditionalProperties: {
      const key = lastSegment(error.path);
      const allowed = Object.keys((schema["properties"] as Record<string, unknown> | undefined) ?? {});
      return `unknown field "${key}"; allowed fields are ${allowed.join(", ")}`;
    }
  }
  if (typeof schema["errorMessage"] === "string") return schema["errorMessage"];
  switch (error.type) {
    case ValueErrorType.String:
      return "must be a string";
    case ValueErrorType.Boolean:
      return "must be true or false";
    case ValueErrorType.Integer:
      return "must be an integer";
    case ValueErrorType.Number:
      return "must be a number";
    case ValueErrorType.Array:
      return "must be an array";
    case ValueErrorType.Object:
      return "must be an object";
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${String(schema["minItems"])} item(s)`;
    case ValueErrorType.ArrayUniqueItems:
      return "must not contain duplicates";
    case ValueErrorType.StringMinLength:
      return "must not be empty";
    case ValueErrorType.StringPattern:
      return `must match the pattern ${String(schema["pattern"])}`;
    default:
      return error.message.replace(/^Expected/, "must be");
  }
}

/** Converts a JSON Pointer (`/contributes/tools/0/id`) into `tessera.contributes.tools[0].id`. */
function toPath(pointer: string): string {
  let path = "tessera";
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

function lastSegment(pointer: string): string {
  const segments = pointer.split("/");
  return (segments[segments.length - 1] ?? "").replace(/~1/g, "/").replace(/~0/g, "~");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmptyList(value: unknown): boolean {
  return !Array.isArray(value) || value.length === 0;
}
