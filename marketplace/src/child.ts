/**
 * Entry point of the registry child process (spawned by `startRegistry`).
 *
 * Reads the Verdaccio configuration from the JSON file named by
 * `TESSERA_MARKETPLACE_CONFIG`, starts Verdaccio 6 with `runServer(config)`,
 * listens on `TESSERA_MARKETPLACE_HOST:TESSERA_MARKETPLACE_PORT`, and refuses to
 * serve (exit code 78) if the manifest-guard plugin was not registered — Verdaccio
 * logs and skips plugins it cannot load, which here would mean accepting
 * manifest-less packages. Exits on SIGTERM/SIGINT, and when the parent's IPC
 * channel closes (the parent died), so a registry never outlives its kernel.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { runServer } from "verdaccio";
import { createManifestGuard } from "./manifest-guard.js";

/** Exit code when the guard is missing (EX_CONFIG). */
export const EXIT_GUARD_MISSING = 78;
const REGISTERED = Symbol.for("tessera.marketplace.manifestGuard.registered");
const FACTORY = Symbol.for("tessera.marketplace.manifestGuard.factory");

async function main(): Promise<void> {
  const configFile = process.env["TESSERA_MARKETPLACE_CONFIG"];
  const host = process.env["TESSERA_MARKETPLACE_HOST"] ?? "127.0.0.1";
  const port = Number(process.env["TESSERA_MARKETPLACE_PORT"]);
  if (!configFile || !Number.isInteger(port) || port <= 0) {
    throw new Error("TESSERA_MARKETPLACE_CONFIG and TESSERA_MARKETPLACE_PORT must be set");
  }
  // Handed to the CommonJS plugin shim (verdaccio-plugins/verdaccio-tessera-manifest-guard).
  (globalThis as Record<symbol, unknown>)[FACTORY] = createManifestGuard;
  const config = JSON.parse(await readFile(configFile, "utf8")) as Record<string, unknown>;
  const server = (await runServer(config as never)) as Server;

  if ((globalThis as Record<symbol, unknown>)[REGISTERED] !== true) {
    process.stderr.write("tessera marketplace: the manifest guard plugin was not loaded; refusing to serve\n");
    process.exit(EXIT_GUARD_MISSING);
  }

  let closing = false;
  const shutdown = (code: number): void => {
    if (closing) return;
    closing = true;
    server.close(() => process.exit(code));
    server.closeAllConnections();
    setTimeout(() => process.exit(code), 3000).unref();
  };
  process.on("SIGTERM", () => shutdown(0));
  process.on("SIGINT", () => shutdown(0));
  process.on("disconnect", () => shutdown(0));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  process.send?.({ type: "listening", host, port, pid: process.pid });
}

main().catch((error: unknown) => {
  process.stderr.write(`tessera marketplace: registry failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
