/**
 * `tessera-plugin init`: scaffolds a plugin package from the templates in
 * the SDK's `templates/<kind>/` directory.
 *
 * @module
 */

import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { CliError, usageError } from "./errors.js";
import { packageNameProblem } from "./package-name.js";
import { SDK_ROOT, sdkPackageJson } from "./project.js";

/** The kinds of plugin `init` can scaffold. */
export const PLUGIN_KINDS = ["tool", "provider", "node", "vector-store"] as const;
/** A kind of plugin `init` can scaffold. */
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** Options of {@link initPlugin}. */
export interface InitOptions {
  /** The npm package name. */
  readonly name: string;
  /** The kind of plugin. */
  readonly kind: string | undefined;
  /** The directory to create; must not exist or be empty. */
  readonly dir: string;
}

/** The result of {@link initPlugin}. */
export interface InitResult {
  /** The kind scaffolded. */
  readonly kind: PluginKind;
  /** The directory written. */
  readonly dir: string;
  /** Files written, relative to `dir`, with forward slashes. */
  readonly files: readonly string[];
}

/** Template files renamed on copy (npm would drop or mangle them if shipped under their real name). */
const RENAMES: Readonly<Record<string, string>> = { _gitignore: ".gitignore" };

/**
 * The unscoped part of a package name: `@acme/tessera-plugin-x` → `tessera-plugin-x`.
 *
 * @param name - A package name.
 */
export function unscopedName(name: string): string {
  return name.startsWith("@") ? name.slice(name.indexOf("/") + 1) : name;
}

/**
 * Validates the name and kind, then writes the scaffold.
 *
 * @throws {@link CliError} exit 2 for a bad name or kind, exit 1 if the directory is not empty.
 */
export async function initPlugin(options: InitOptions): Promise<InitResult> {
  const problem = packageNameProblem(options.name);
  if (problem) throw usageError(`invalid package name "${options.name}": ${problem}`);
  if (options.kind === undefined) throw usageError(`init: missing --kind (one of ${PLUGIN_KINDS.join(", ")})`);
  if (!(PLUGIN_KINDS as readonly string[]).includes(options.kind)) {
    throw usageError(`init: unknown kind "${options.kind}" (expected one of ${PLUGIN_KINDS.join(", ")})`);
  }
  const kind = options.kind as PluginKind;
  const dir = options.dir;
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new CliError(`${dir} already exists and is not an empty directory`);
  }
  const templateDir = join(SDK_ROOT, "templates", kind);
  if (!existsSync(templateDir)) throw new CliError(`the SDK is missing its templates (${templateDir})`);

  const sdk = sdkPackageJson();
  const vars: Record<string, string> = {
    packageName: options.name,
    unscopedName: unscopedName(options.name),
    title: titleCase(unscopedName(options.name).replace(/^tessera-plugin-/, "")),
    sdkVersion: sdk.version,
    typeboxVersion: sdk.dependencies?.["@sinclair/typebox"] ?? "0.34.52",
  };
  const files: string[] = [];
  for (const file of listFiles(templateDir)) {
    const parts = relative(templateDir, file).split(/[\\/]/);
    const target = parts.map((p) => RENAMES[p] ?? p);
    const text = render(await readFile(file, "utf8"), vars);
    const out = join(dir, ...target);
    await mkdir(join(out, ".."), { recursive: true });
    await writeFile(out, text);
    files.push(target.join("/"));
  }
  return { kind, dir, files: files.sort() };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

/** Replaces `{{name}}` placeholders; an unknown placeholder is a bug in the templates. */
function render(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new CliError(`template placeholder ${whole} has no value`);
    return value;
  });
}

function titleCase(words: string): string {
  const title = words
    .split(/[-._~]+/)
    .filter((w) => w !== "")
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join(" ");
  return title === "" ? "My Plugin" : title;
}
