/**
 * Child-process helper.
 *
 * @module
 */

import { spawn } from "node:child_process";

/** The result of {@link run}. */
export interface RunResult {
  /** Exit code (1 when the process was killed by a signal). */
  readonly code: number;
  /** Captured stdout (empty when inherited). */
  readonly stdout: string;
}

/**
 * Runs `command` and resolves with its exit code. stderr is inherited; stdout
 * is captured when `capture` is set, inherited otherwise.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; capture?: boolean; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["inherit", options.capture ? "pipe" : "inherit", "inherit"],
      shell: process.platform === "win32",
    });
    let stdout = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout }));
  });
}
