/**
 * The `tessera-plugin` command line: `init`, `build`, `test`, `pack`, `keygen` and `publish`.
 *
 * {@link runCli} never exits the process; it returns the exit code, so the
 * CLI can be driven from tests.
 *
 * @module
 */

import { relative, resolve, sep } from "node:path";
import { parseArgs, type ParsedArgs } from "./args.js";
import { buildPlugin, type BuildResult } from "./build.js";
import { CliError, EXIT_USAGE, usageError } from "./errors.js";
import { initPlugin, PLUGIN_KINDS, unscopedName } from "./init.js";
import { packPlugin } from "./pack.js";
import { keygen, publishTarballFile } from "./publish.js";
import { testPlugin } from "./test-command.js";

/** Where the CLI writes and which directory it works relative to. */
export interface CliIO {
  /** Writes one line of normal output. */
  readonly out: (line: string) => void;
  /** Writes one line of error output. */
  readonly err: (line: string) => void;
  /** The working directory. */
  readonly cwd: string;
}

/** The program name used in messages. */
export const PROGRAM = "tessera-plugin";

/** The `--help` text. */
export const USAGE = `Usage: ${PROGRAM} <command> [options]

Commands:
  init <name> --kind <kind> [--dir <path>]
        Scaffold a plugin package. <kind> is one of ${PLUGIN_KINDS.join(", ")}.
        Writes to --dir, or ./<name without scope> by default.
  build [--dir <path>] [--minify] [--sourcemap] [--no-verify]
        Validate the manifest and bundle src/plugin.ts (or package.json "source")
        into tessera.main (default dist/plugin.js): one ES module, no Node built-ins.
  test [--dir <path>] [-- <mocha args>]
        Build, then run test/**/*.test.{ts,js} with mocha and tsx.
  pack [--dir <path>] [--out <dir>]
        Build, then create the plugin tarball with npm pack.
  keygen [--out <file>]
        Make an ed25519 publisher key pair (default ./tessera-publisher.key, and .pub).
  publish --registry <url> [--token <t>] [--key <file>] [--dir <path>]
        Build, pack and publish to a Tessera marketplace, signed with --key when given.
        The token may also come from TESSERA_REGISTRY_TOKEN.

Options:
  --dir <path>   The plugin directory (default: the current directory).
  -h, --help     Show this help.
  -v, --version  Show the SDK version.`;

const DEFAULT_IO: CliIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  cwd: process.cwd(),
};

/**
 * Runs the CLI with `argv` (the arguments after the program name) and
 * resolves with the exit code. Failures are printed as
 * `tessera-plugin: <reason>`, one line per reason.
 */
export async function runCli(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const full: CliIO = { ...DEFAULT_IO, ...io };
  try {
    return await dispatch(argv, full);
  } catch (error) {
    if (error instanceof CliError) {
      for (const reason of error.reasons) full.err(`${PROGRAM}: ${reason}`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    full.err(`${PROGRAM}: unexpected error: ${message.split("\n")[0] ?? ""}`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      throw usageError(`missing command (run ${PROGRAM} --help)`);
    case "-h":
    case "--help":
    case "help":
      io.out(USAGE);
      return 0;
    case "-v":
    case "--version": {
      const { sdkPackageJson } = await import("./project.js");
      io.out(sdkPackageJson().version);
      return 0;
    }
    case "init":
      return init(parseArgs("init", rest, { strings: ["kind", "dir"], booleans: ["help"] }), io);
    case "build": {
      const args = parseArgs("build", rest, { strings: ["dir"], booleans: ["minify", "sourcemap", "verify", "help"] });
      if (helpRequested(args, io)) return 0;
      noPositionals("build", args);
      await build(args, io);
      return 0;
    }
    case "test": {
      const args = parseArgs("test", rest, { strings: ["dir"], booleans: ["help"] });
      if (helpRequested(args, io)) return 0;
      noPositionals("test", args);
      const built = await build(args, io);
      return testPlugin(built.project.dir, args.rest);
    }
    case "pack": {
      const args = parseArgs("pack", rest, { strings: ["dir", "out"], booleans: ["help"] });
      if (helpRequested(args, io)) return 0;
      noPositionals("pack", args);
      const built = await build(args, io);
      const out = args.strings.get("out");
      const result = await packPlugin(built.project.dir, out === undefined ? undefined : resolve(io.cwd, out));
      io.out(`${PROGRAM}: packed ${result.entryCount} files`);
      io.out(`tarball: ${result.tarball}`);
      io.out(`integrity: ${result.integrity}`);
      return 0;
    }
    case "keygen": {
      const args = parseArgs("keygen", rest, { strings: ["out"], booleans: ["help"] });
      if (helpRequested(args, io)) return 0;
      const file = resolve(io.cwd, args.strings.get("out") ?? "tessera-publisher.key");
      const { publicKey, keyid } = keygen(file);
      io.out(`private key: ${file} (keep it secret)`);
      io.out(`public key (give it to the admins who should trust you): ${publicKey}`);
      io.out(`key id: ${keyid}`);
      return 0;
    }
    case "publish": {
      const args = parseArgs("publish", rest, { strings: ["dir", "registry", "token", "key"], booleans: ["help"] });
      if (helpRequested(args, io)) return 0;
      noPositionals("publish", args);
      const registry = args.strings.get("registry");
      if (!registry) throw usageError("publish: --registry <url> is required");
      const token = args.strings.get("token") ?? process.env.TESSERA_REGISTRY_TOKEN;
      if (!token) throw usageError("publish: --token <t> or TESSERA_REGISTRY_TOKEN is required");
      const built = await build(args, io);
      const packed = await packPlugin(built.project.dir);
      const key = args.strings.get("key");
      const result = await publishTarballFile(built.project.dir, packed.tarball, registry, token, key === undefined ? undefined : resolve(io.cwd, key));
      io.out(`${PROGRAM}: published ${result.name}@${result.version}${result.signed ? ` signed by key ${result.signed}` : " (unsigned)"}`);
      io.out(`integrity: ${result.integrity}`);
      return 0;
    }
    default:
      throw usageError(`unknown command "${command}" (run ${PROGRAM} --help)`);
  }
}

async function init(args: ParsedArgs, io: CliIO): Promise<number> {
  if (helpRequested(args, io)) return 0;
  const [name, ...extra] = args.positionals;
  if (name === undefined) throw usageError("init: missing package name (init <name> --kind <kind>)");
  if (extra.length > 0) throw usageError(`init: unexpected argument "${extra[0] ?? ""}"`);
  const dirOption = args.strings.get("dir");
  const dir = resolve(io.cwd, dirOption ?? unscopedName(name));
  const result = await initPlugin({ name, kind: args.strings.get("kind"), dir });
  const shown = display(io.cwd, result.dir);
  io.out(`${PROGRAM}: created ${result.kind} plugin ${name} in ${shown}`);
  for (const file of result.files) io.out(`  ${file}`);
  io.out(`next: cd ${shown} && npm install && npm test`);
  return 0;
}

async function build(args: ParsedArgs, io: CliIO): Promise<BuildResult> {
  const dir = resolve(io.cwd, args.strings.get("dir") ?? ".");
  const options = {
    dir,
    minify: args.booleans.get("minify") ?? false,
    sourcemap: args.booleans.get("sourcemap") ?? false,
    verify: args.booleans.get("verify") ?? true,
  };
  const result = await buildPlugin(options);
  for (const warning of result.warnings) io.err(`${PROGRAM}: ${warning}`);
  io.out(
    `${PROGRAM}: built ${display(dir, result.outfile)} (${formatBytes(result.bytes)}) from ${display(dir, result.entry)} for ${result.project.name}@${result.project.version}`,
  );
  return result;
}

function helpRequested(args: ParsedArgs, io: CliIO): boolean {
  if (args.booleans.get("help") !== true) return false;
  io.out(USAGE);
  return true;
}

function noPositionals(command: string, args: ParsedArgs): void {
  const first = args.positionals[0];
  if (first !== undefined) throw new CliError(`${command}: unexpected argument "${first}" (use --dir <path>)`, EXIT_USAGE);
}

function display(from: string, path: string): string {
  const rel = relative(from, path);
  if (rel === "") return ".";
  return rel.startsWith("..") ? path : rel.split(sep).join("/");
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}
