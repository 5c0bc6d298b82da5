/** Test helpers: temp folders, tiny plugin packages, and the real npm CLI. */

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePort, npmrcFor, startRegistry, type Registry, type StartRegistryOptions } from "../src/index.js";

/** A temp folder removed by {@link cleanup}. */
const temps: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tessera-mp-${prefix}-`));
  temps.push(dir);
  return dir;
}

export async function cleanup(): Promise<void> {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Starts a registry on a free port with its own storage folder (retries if the port was taken meanwhile). */
export async function startTestRegistry(extra: Partial<StartRegistryOptions> = {}): Promise<Registry> {
  const storageDir = extra.storageDir ?? (await tempDir("registry"));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = extra.port ?? (await findFreePort());
    try {
      return await startRegistry({ storageDir, port, logLevel: "warn", ...extra });
    } catch (error) {
      lastError = error;
      if (extra.port) break;
    }
  }
  throw lastError;
}

/** A valid manifest declaring the tool `echo`. */
export function validManifest(): Record<string, unknown> {
  return {
    apiVersion: "^1.0.0",
    contributes: {
      tools: [{ id: "echo", name: "Echo", description: "Returns its arguments", parameters: { type: "object" } }],
    },
    permissions: {},
  };
}

const PLUGIN_JS = `export default {
  kind: 'plugin',
  apiVersion: '1.0.0',
  tools: { echo: { kind: 'tool', invoke: (a) => a } },
  providers: {},
  nodes: {},
  vectorStores: {},
  documentLoaders: {},
};
`;

/**
 * Writes a tiny plugin package (package.json + dist/plugin.js) into a new temp
 * folder. `tessera: null` leaves the manifest out.
 */
export async function makePlugin(options: { name: string; version?: string; tessera?: unknown }): Promise<string> {
  const dir = await tempDir("pkg");
  const packageJson: Record<string, unknown> = {
    name: options.name,
    version: options.version ?? "1.0.0",
    description: `Test plugin ${options.name}`,
    type: "module",
    main: "dist/plugin.js",
    files: ["dist"],
    keywords: ["tessera-plugin"],
    license: "MIT",
  };
  if (options.tessera !== null) packageJson["tessera"] = options.tessera ?? validManifest();
  await mkdir(join(dir, "dist"));
  await writeFile(join(dir, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
  await writeFile(join(dir, "dist", "plugin.js"), PLUGIN_JS);
  await writeFile(join(dir, "README.md"), `# ${options.name}\n`);
  return dir;
}

/** Result of {@link npm}. */
export interface NpmResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the real npm CLI against the local registry only: an isolated
 * `--userconfig` (with the token, if any), its own cache, no inherited
 * `npm_config_*` variables, no update check.
 */
export async function npm(args: string[], options: { cwd: string; registry: string; token?: string }): Promise<NpmResult> {
  const home = await tempDir("npmhome");
  const userconfig = join(home, ".npmrc");
  await writeFile(userconfig, options.token ? npmrcFor(options.registry, options.token) : `registry=${options.registry}/\n`);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key)) env[key] = value;
  }
  env["HOME"] = home;
  const fullArgs = [
    ...args,
    "--registry",
    `${options.registry}/`,
    "--userconfig",
    userconfig,
    "--cache",
    join(home, "cache"),
    "--no-update-notifier",
    "--no-audit",
    "--no-fund",
    "--ignore-scripts",
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    execFile("npm", fullArgs, { cwd: options.cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Reads VmRSS of a process in kB (Linux). */
export async function rssKb(pid: number): Promise<number | undefined> {
  const { readFile } = await import("node:fs/promises");
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
