/**
 * npm package-name validation (the rules of `validate-npm-package-name`
 * for new packages), without dependencies.
 *
 * @module
 */

import { builtinModules } from "node:module";

const BLOCKED = new Set(["node_modules", "favicon.ico"]);
const MAX_LENGTH = 214;

/**
 * Returns why `name` is not a valid name for a new npm package, or
 * `undefined` when it is valid.
 *
 * @param name - A proposed package name, e.g. `"@acme/tessera-plugin-search"`.
 */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return "name must not be empty";
  if (name.length > MAX_LENGTH) return `name must be at most ${MAX_LENGTH} characters`;
  if (name.trim() !== name) return "name must not have leading or trailing spaces";
  if (name !== name.toLowerCase()) return "name must be lower-case";
  let scope: string | undefined;
  let bare = name;
  if (name.startsWith("@")) {
    const slash = name.indexOf("/");
    if (slash === -1) return 'a scoped name must look like "@scope/name"';
    scope = name.slice(1, slash);
    bare = name.slice(slash + 1);
    if (scope === "") return "the scope must not be empty";
    if (bare.includes("/")) return 'a scoped name must look like "@scope/name" (one slash)';
  }
  for (const [part, what] of [[scope, "scope"], [bare, "name"]] as const) {
    if (part === undefined) continue;
    if (part === "") return `the ${what} must not be empty`;
    if (part.startsWith(".") || part.startsWith("_")) return `the ${what} must not start with "." or "_"`;
    if (!/^[a-z0-9._-]+$/.test(part)) {
      return `the ${what} may only contain a-z, 0-9, "-", "." and "_" (got "${part}")`;
    }
    if (!/^[a-z0-9]/.test(part)) return `the ${what} must start with a letter or digit`;
  }
  if (scope === undefined) {
    if (BLOCKED.has(bare)) return `"${bare}" is a reserved name`;
    if (builtinModules.includes(bare)) return `"${bare}" is the name of a Node.js built-in module`;
  }
  return undefined;
}
