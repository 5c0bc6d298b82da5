/**
 * Reading and validating a plugin project (its directory and `package.json`).
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseManifest } from "../manifest-parse.js";
import type { ResolvedManifest } from "../manifest.js";
import { CliError } from "./errors.js";

/** The root of the `@tessera/sdk` package this CLI belongs to (holds `package.json` and `templates/`). */
export const SDK_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The SDK's own `package.json`. */
export function sdkPackageJson(): { version: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(SDK_ROOT, "package.json"), "utf8")) as { version: string };
}

/** A plugin project whose manifest is valid. */
export interface PluginProject {
  /** Absolute path of the plugin directory. */
  readonly dir: string;
  /** The parsed `package.json`. */
  readonly packageJson: Record<string, unknown>;
  /** The package name. */
  readonly name: string;
  /** The package version. */
  readonly version: string;
  /** The validated manifest, with defaults applied. */
  readonly manifest: ResolvedManifest;
}

/**
 * Reads `<dir>/package.json` and validates it with {@link parseManifest}.
 *
 * @throws {@link CliError} with one reason per manifest error (`path: message`).
 */
export function loadProject(dir: string): PluginProject {
  const file = join(dir, "package.json");
  if (!existsSync(file)) throw new CliError(`no package.json in ${dir} (use --dir to point at the plugin)`);
  let packageJson: unknown;
  try {
    packageJson = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const result = parseManifest(packageJson);
  if (!result.ok) {
    throw new CliError(result.errors.map((e) => (e.path === "" ? e.message : `${e.path}: ${e.message}`)));
  }
  return {
    dir,
    packageJson: packageJson as Record<string, unknown>,
    name: result.name,
    version: result.version,
    manifest: result.manifest,
  };
}

/** The `node_modules` directories at and above the SDK, used as a resolution fallback. */
export function sdkNodePaths(): string[] {
  const paths: string[] = [];
  let dir = resolve(SDK_ROOT);
  for (;;) {
    const candidate = join(dir, "node_modules");
    if (existsSync(candidate)) paths.push(candidate);
    const parent = dirname(dir);
    if (parent === dir) return paths;
    dir = parent;
  }
}
