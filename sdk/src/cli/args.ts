/**
 * A small command-line option parser: `--name value`, `--name=value`,
 * boolean `--flag` / `--no-flag`, positionals, and `--` to end options.
 *
 * @module
 */

import { usageError } from "./errors.js";

/** Which options a command accepts. */
export interface OptionSpec {
  /** Options that take a value. */
  readonly strings?: readonly string[];
  /** Boolean flags (also accepted as `--no-<flag>`). */
  readonly booleans?: readonly string[];
}

/** Parsed arguments. */
export interface ParsedArgs {
  /** Positional arguments (before `--`). */
  readonly positionals: string[];
  /** Values of string options. */
  readonly strings: Map<string, string>;
  /** Values of boolean flags that were given. */
  readonly booleans: Map<string, boolean>;
  /** Arguments after `--`, passed through verbatim. */
  readonly rest: string[];
}

/**
 * Parses `argv` (the arguments after the command name) against `spec`.
 *
 * @throws {@link CliError} (exit 2) on unknown options or missing values.
 */
export function parseArgs(command: string, argv: readonly string[], spec: OptionSpec): ParsedArgs {
  const strings = new Set(spec.strings ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const result: ParsedArgs = { positionals: [], strings: new Map(), booleans: new Map(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      result.rest.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      if (arg.startsWith("-") && arg !== "-") throw usageError(`${command}: unknown option "${arg}"`);
      result.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (strings.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith("--"))) {
        throw usageError(`${command}: option --${name} needs a value`);
      }
      result.strings.set(name, value);
    } else if (booleans.has(name) && inline === undefined) {
      result.booleans.set(name, true);
    } else if (name.startsWith("no-") && booleans.has(name.slice(3)) && inline === undefined) {
      result.booleans.set(name.slice(3), false);
    } else {
      throw usageError(`${command}: unknown option "--${name}"`);
    }
  }
  return result;
}
