/**
 * `tessera-plugin pack`: builds and validates the plugin, then creates the
 * tarball the marketplace and the kernel install, with `npm pack`.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { CliError } from "./errors.js";
import { run } from "./spawn.js";

/** What `npm pack --json` reports for one package. */
export interface PackResult {
  /** Absolute path of the tarball. */
  readonly tarball: string;
  /** The tarball's `sha512-...` integrity. */
  readonly integrity: string;
  /** Number of files in the tarball. */
  readonly entryCount: number;
  /** The packed files. */
  readonly files: readonly string[];
}

/**
 * Runs `npm pack --json` in `dir`.
 *
 * @param dir - The plugin directory.
 * @param destination - Where to write the tarball; defaults to `dir`.
 */
export async function packPlugin(dir: string, destination?: string): Promise<PackResult> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const dest = destination ?? dir;
  const args = ["pack", "--json", "--pack-destination", dest];
  let result;
  try {
    result = await run(npm, args, { cwd: dir, capture: true });
  } catch (error) {
    throw new CliError(`could not run npm: ${(error as Error).message}`);
  }
  if (result.code !== 0) throw new CliError(`npm pack failed with exit code ${result.code}`);
  const report = parsePackJson(result.stdout);
  const first = report[0];
  if (!first || typeof first.filename !== "string") throw new CliError("npm pack --json printed no tarball");
  const tarball = isAbsolute(first.filename) ? first.filename : resolve(dest, first.filename);
  return {
    tarball,
    integrity: String(first.integrity ?? ""),
    entryCount: Number(first.entryCount ?? 0),
    files: (first.files ?? []).map((f) => f.path),
  };
}

interface NpmPackEntry {
  filename?: string;
  integrity?: string;
  entryCount?: number;
  files?: { path: string }[];
}

/** Parses `npm pack --json` output, tolerating lifecycle-script output before the JSON. */
function parsePackJson(stdout: string): NpmPackEntry[] {
  const start = stdout.search(/^\[/m);
  try {
    const parsed: unknown = JSON.parse(start === -1 ? stdout : stdout.slice(start));
    if (Array.isArray(parsed)) return parsed as NpmPackEntry[];
  } catch {
    // fall through
  }
  throw new CliError("could not parse the output of npm pack --json");
}
