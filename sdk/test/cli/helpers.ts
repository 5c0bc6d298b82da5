import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../../src/cli/cli.js";

/** The SDK package root. */
export const SDK_DIR = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Scratch directories live inside the monorepo (under `sdk/.tmp-test/`) so
 * that scaffolded plugins resolve `@tessera/sdk` through the workspace link in
 * `/work/main/node_modules`. `npm test` removes the folder afterwards.
 */
export function makeTempDir(): string {
  const root = join(SDK_DIR, ".tmp-test");
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, "cli-"));
}

/** Removes a directory made by {@link makeTempDir}. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The outcome of {@link cli}. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

/** Runs the CLI in-process with `cwd` as its working directory. */
export async function cli(cwd: string, ...argv: string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, { cwd, out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
  return { code, stdout, stderr };
}
