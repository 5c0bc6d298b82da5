/**
 * `tessera-plugin test`: builds the plugin, then runs its mocha tests with
 * TypeScript support (tsx) in a child Node process.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { CliError } from "./errors.js";
import { run } from "./spawn.js";

const MOCHA_CONFIG_FILES = [".mocharc.js", ".mocharc.cjs", ".mocharc.mjs", ".mocharc.yaml", ".mocharc.yml", ".mocharc.jsonc", ".mocharc.json"];

/** The default spec, used when the plugin has no mocha configuration. */
export const DEFAULT_TEST_SPEC = "test/**/*.test.{ts,js}";

/**
 * The `node` arguments that run mocha for the plugin in `dir`.
 *
 * `--no-node-snapshot` is required because the test host loads isolated-vm;
 * tsx is loaded by absolute URL so it need not be installed in the plugin.
 */
export function mochaArgs(dir: string, extra: readonly string[]): string[] {
  const require = createRequire(import.meta.url);
  const mochaBin = join(dirname(require.resolve("mocha/package.json")), "bin", "mocha.js");
  // tsx's "." export is unconditional, so require.resolve finds its ESM loader.
  const tsx = pathToFileURL(require.resolve("tsx")).href;
  const args = ["--no-node-snapshot", "--import", tsx, mochaBin];
  // Without a config of its own, mocha would search parent folders and could pick up another project's.
  if (!hasMochaConfig(dir)) args.push("--no-config", "--no-package", "--timeout", "30000", "--extension", "ts", "--extension", "js", DEFAULT_TEST_SPEC);
  return [...args, ...extra];
}

function hasMochaConfig(dir: string): boolean {
  if (MOCHA_CONFIG_FILES.some((f) => existsSync(join(dir, f)))) return true;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { mocha?: unknown };
    return pkg.mocha !== undefined;
  } catch {
    return false;
  }
}

/**
 * Runs the plugin's tests and resolves with mocha's exit code.
 *
 * @param dir - The plugin directory (already built).
 * @param extra - Extra arguments passed to mocha.
 */
export async function testPlugin(dir: string, extra: readonly string[]): Promise<number> {
  try {
    return (await run(process.execPath, mochaArgs(dir, extra), { cwd: dir })).code;
  } catch (error) {
    throw new CliError(`could not start mocha: ${(error as Error).message}`);
  }
}
