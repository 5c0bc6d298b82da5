/**
 * `tessera-plugin build`: bundles a plugin into the single ES module the
 * kernel loads into a V8 isolate.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { build as esbuild, type Message, type Plugin as EsbuildPlugin } from "esbuild";
import { MANIFEST_CONTRIBUTION_GROUPS } from "../manifest.js";
import { isPlugin, type ContributionGroup } from "../plugin.js";
import { CliError } from "./errors.js";
import { loadProject, sdkNodePaths, type PluginProject } from "./project.js";

/** Options of {@link buildPlugin}. */
export interface BuildOptions {
  /** The plugin directory. */
  readonly dir: string;
  /** Minify the bundle (default `false`). */
  readonly minify?: boolean;
  /** Append an inline source map (default `false`). */
  readonly sourcemap?: boolean;
  /**
   * Import the bundle in Node after building and check that its contributions
   * match the manifest (default `true`).
   */
  readonly verify?: boolean;
}

/** The result of a successful {@link buildPlugin}. */
export interface BuildResult {
  /** The validated project. */
  readonly project: PluginProject;
  /** Absolute path of the entry point. */
  readonly entry: string;
  /** Absolute path of the written bundle. */
  readonly outfile: string;
  /** Size of the bundle in bytes. */
  readonly bytes: number;
  /** esbuild warnings, formatted as one line each. */
  readonly warnings: readonly string[];
}

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith("_")));
const ALL_BUILTINS = new Set(builtinModules);
const ENTRY_CANDIDATES = ["src/plugin.ts", "src/plugin.mts", "src/plugin.js", "src/plugin.mjs"];

/** Returns `true` if `specifier` names a Node built-in (`node:fs`, `fs`, `fs/promises`, ...). */
export function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith("node:")) return true;
  return ALL_BUILTINS.has(specifier) || BUILTINS.has(specifier.split("/")[0] as string);
}

/**
 * Validates the manifest, bundles the plugin's entry point into
 * `tessera.main` and, unless disabled, verifies the bundle against the manifest.
 *
 * @throws {@link CliError} listing every problem found.
 */
export async function buildPlugin(options: BuildOptions): Promise<BuildResult> {
  const project = loadProject(options.dir);
  const entry = findEntry(project);
  const outfile = resolve(project.dir, project.manifest.main);

  const builtins: string[] = [];
  // `node` runtime plugins run in a worker thread with full Node.js: Node built-ins are theirs to import.
  const forNode = project.manifest.runtime === "node";
  let result;
  try {
    result = await esbuild({
      absWorkingDir: project.dir,
      entryPoints: [entry],
      outfile,
      bundle: true,
      write: false,
      platform: forNode ? "node" : "neutral",
      format: "esm",
      target: "es2022",
      mainFields: ["module", "main"],
      conditions: ["import", "default"],
      resolveExtensions: [".ts", ".tsx", ".mts", ".js", ".mjs", ".cjs", ".json"],
      nodePaths: sdkNodePaths(),
      minify: options.minify ?? false,
      sourcemap: options.sourcemap ? "inline" : false,
      legalComments: "eof",
      logLevel: "silent",
      plugins: forNode ? [] : [nodeBuiltinGuard(project.dir, builtins)],
      ...(forNode ? { banner: { js: "import { createRequire as __tesseraCreateRequire } from 'node:module'; const require = __tesseraCreateRequire(import.meta.url);" } } : {}),
    });
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    if (Array.isArray(messages) && messages.length > 0) {
      throw new CliError(messages.map((m) => formatMessage(project.dir, m)));
    }
    throw new CliError(`esbuild failed: ${(error as Error).message}`);
  }
  if (builtins.length > 0) throw new CliError(builtins);

  const output = result.outputFiles.find((f) => f.path === outfile) ?? result.outputFiles[0];
  if (!output) throw new CliError("esbuild produced no output");
  const problems: string[] = [];
  if (output.text.includes("Dynamic require of ")) {
    problems.push("the bundle contains a require() call esbuild could not resolve statically; plugins must be ES modules without require()");
  }
  if (problems.length > 0) throw new CliError(problems);

  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(outfile, output.contents);
  if (options.verify ?? true) await verifyBundle(project, outfile);
  return {
    project,
    entry,
    outfile,
    bytes: output.contents.byteLength,
    warnings: result.warnings.map((m) => `warning: ${formatMessage(project.dir, m)}`),
  };
}

function findEntry(project: PluginProject): string {
  const source = project.packageJson["source"];
  if (source !== undefined) {
    if (typeof source !== "string" || source === "") throw new CliError('package.json "source" must be a path to the plugin entry point');
    const entry = resolve(project.dir, source);
    if (!existsSync(entry)) throw new CliError(`the entry point "${source}" (package.json "source") does not exist`);
    return entry;
  }
  for (const candidate of ENTRY_CANDIDATES) {
    const entry = join(project.dir, candidate);
    if (existsSync(entry)) return entry;
  }
  throw new CliError(`no entry point: create src/plugin.ts or set "source" in package.json`);
}

/**
 * Records every import of a Node built-in instead of letting the build fail
 * on the first one. A bare name (`events`, `buffer`) is allowed when a
 * package of that name is installed, since esbuild then bundles the package.
 */
function nodeBuiltinGuard(dir: string, found: string[]): EsbuildPlugin {
  return {
    name: "tessera-node-builtin-guard",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if ((args.pluginData as { probe?: boolean } | undefined)?.probe) return undefined;
        if (!isNodeBuiltin(args.path)) return undefined;
        if (!args.path.startsWith("node:")) {
          const probe = await b.resolve(args.path, {
            kind: args.kind,
            resolveDir: args.resolveDir,
            importer: args.importer,
            pluginData: { probe: true },
          });
          if (probe.errors.length === 0 && probe.path !== "" && !probe.external) return { path: probe.path };
        }
        const importer = args.importer ? relativePath(dir, args.importer) : "the entry point";
        const line = `${importer} imports the Node built-in "${args.path}"; plugins run in an isolate without Node APIs`;
        if (!found.includes(line)) found.push(line);
        return { path: args.path, external: true };
      });
    },
  };
}

function relativePath(dir: string, file: string): string {
  const rel = relative(dir, file);
  return rel.startsWith("..") ? file : rel.split(sep).join("/");
}

function formatMessage(dir: string, m: Message): string {
  const where = m.location ? `${relativePath(dir, resolve(dir, m.location.file))}:${m.location.line}:${m.location.column}: ` : "";
  return `${where}${m.text}`;
}

type Named = Record<string, unknown>;

/** Fields compared between code and manifest, per plugin group (code field → manifest field). */
const COMPARED_FIELDS: Readonly<Record<ContributionGroup, readonly string[]>> = {
  tools: ["parameters", "resultSchema"],
  providers: ["credentialsSchema"],
  nodes: ["configSchema", "inputSchema", "outputSchema", "handles", "subgraphs"],
  vectorStores: ["credentialsSchema"],
  documentLoaders: ["extensions", "mimeTypes"],
};

/**
 * Imports the bundle in Node and checks that its contributions are exactly
 * the ones the manifest declares, and that the schemas in code equal the
 * ones in the manifest.
 */
async function verifyBundle(project: PluginProject, outfile: string): Promise<void> {
  let mod: { default?: unknown };
  try {
    mod = (await import(`${pathToFileURL(outfile).href}?build=${Date.now()}-${Math.random()}`)) as { default?: unknown };
  } catch (error) {
    throw new CliError(`loading the bundle failed: ${(error as Error).message} (use --no-verify to skip this check)`);
  }
  const plugin = mod.default;
  if (!isPlugin(plugin)) {
    throw new CliError("the bundle's default export is not a plugin; end src/plugin.ts with `export default definePlugin({ ... })`");
  }
  const problems: string[] = [];
  const contributes = project.manifest.contributes as Record<string, Named[] | undefined>;
  for (const [group, manifestGroup] of Object.entries(MANIFEST_CONTRIBUTION_GROUPS) as [ContributionGroup, string][]) {
    const inCode = plugin[group] as unknown as Record<string, Named>;
    const declared = contributes[manifestGroup] ?? [];
    const declaredIds = new Set(declared.map((e) => e["id"] as string));
    for (const id of Object.keys(inCode)) {
      if (!declaredIds.has(id)) {
        problems.push(`the plugin exports ${group}["${id}"] but tessera.contributes.${manifestGroup} does not declare it`);
      }
    }
    declared.forEach((entry, i) => {
      const id = entry["id"] as string;
      const code = inCode[id];
      const at = `tessera.contributes.${manifestGroup}[${i}]`;
      if (code === undefined) {
        problems.push(`${at}.id: "${id}" is declared but the plugin does not export ${group}["${id}"]`);
        return;
      }
      for (const field of COMPARED_FIELDS[group]) {
        const a = code[field];
        const b = entry[field];
        if (a === undefined || b === undefined) continue;
        if (canonicalJson(a) !== canonicalJson(b)) {
          problems.push(`${at}.${field}: differs from ${field} in the code of ${group}["${id}"]; copy ${canonicalJson(a)}`);
        }
      }
    });
  }
  if (problems.length > 0) throw new CliError(problems);
}

/** JSON with object keys sorted, for order-insensitive comparison. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Named)[k]]))
      : v,
  );
}
