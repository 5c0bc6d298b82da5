/**
 * Errors raised by `tessera-plugin` commands.
 *
 * @module
 */

/** Exit code for bad usage (unknown command, bad option, invalid package name). */
export const EXIT_USAGE = 2;
/** Exit code for a failed operation (invalid manifest, failed build, ...). */
export const EXIT_FAILURE = 1;

/**
 * A failure reported to the user as one line per reason, each printed as
 * `tessera-plugin: <reason>`, followed by a non-zero exit.
 */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number;
  /** The reasons, one per output line (at least one). */
  readonly reasons: readonly string[];

  /**
   * @param reasons - One reason, or several (one output line each).
   * @param exitCode - The exit code; defaults to {@link EXIT_FAILURE}.
   */
  constructor(reasons: string | readonly string[], exitCode: number = EXIT_FAILURE) {
    const list = typeof reasons === "string" ? [reasons] : [...reasons];
    super(list.join("; "));
    this.name = "CliError";
    this.reasons = list.length > 0 ? list : ["failed"];
    this.exitCode = exitCode;
  }
}

/** A usage error (exit code {@link EXIT_USAGE}). */
export function usageError(reason: string): CliError {
  return new CliError(reason, EXIT_USAGE);
}
