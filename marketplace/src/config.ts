/**
 * The Verdaccio configuration of the embedded marketplace registry.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Options that shape the generated Verdaccio configuration. */
export interface RegistryConfigOptions {
  /** Folder holding everything the registry keeps: `storage/`, `htpasswd`, `config.json`. */
  readonly storageDir: string;
  /** Verdaccio log level: `fatal`, `error`, `warn` (default), `info`, `http`, `debug`, `trace`. */
  readonly logLevel?: string;
  /**
   * Whether anyone who can reach the registry may create an account with
   * `PUT /-/user/org.couchdb.user:<name>` (`npm adduser`). Default `false`:
   * whoever reaches the port (any local process, on loopback) could otherwise
   * make themselves a publisher.
   *
   * Verdaccio 6's htpasswd plugin has no "admins only" mode: `max_users` is the
   * only switch. `false` sets `max_users: -1` ("user registration disabled"):
   * accounts are then written to `<storageDir>/htpasswd` by the kernel
   * (`addAccount`) or the operator; existing users still get tokens by logging
   * in (basic auth).
   */
  readonly allowRegistration?: boolean;
  /**
   * Package patterns that only one account may publish or unpublish, e.g.
   * `{ "@tessera/*": "tessera" }`: the first-party scope stays the seed
   * account's, whatever publisher accounts the install issues (issue #13).
   */
  readonly reservedScopes?: Readonly<Record<string, string>>;
  /** Largest publish request (Verdaccio `max_body_size`). Default `"50mb"`. */
  readonly maxBodySize?: string;
  /** Seconds of validity of the npm tokens Verdaccio issues (JWT). Default: legacy tokens (no expiry). */
  readonly tokenExpiresIn?: string;
}

/** Name of the manifest-guard middleware plugin (`verdaccio-<name>` on disk). */
export const GUARD_PLUGIN_ID = "tessera-manifest-guard";

/** Folder that holds `verdaccio-tessera-manifest-guard/` (shipped with this package). */
export const VERDACCIO_PLUGINS_DIR = fileURLToPath(new URL("../verdaccio-plugins/", import.meta.url));

/**
 * Builds the Verdaccio 6 configuration object for `runServer(config)`.
 *
 * Offline by construction: `uplinks` is empty and no package rule has a
 * `proxy`, so Verdaccio never contacts another registry; the `audit`
 * middleware (which proxies `npm audit` to npmjs.org) is not enabled.
 *
 * @param options - Storage folder and policy.
 */
export function buildVerdaccioConfig(options: RegistryConfigOptions): Record<string, unknown> {
  const storageDir = resolve(options.storageDir);
  const configPath = join(storageDir, "config.json");
  const maxBodySize = options.maxBodySize ?? "50mb";
  return {
    // Verdaccio resolves relative paths and plugin folders against these.
    self_path: configPath,
    configPath,
    storage: join(storageDir, "storage"),
    plugins: VERDACCIO_PLUGINS_DIR,
    auth: {
      htpasswd: {
        file: join(storageDir, "htpasswd"),
        max_users: options.allowRegistration === true ? 1000 : -1,
      },
    },
    uplinks: {},
    // Verdaccio takes the first pattern that matches, so reserved scopes come first.
    packages: {
      ...Object.fromEntries(Object.entries(options.reservedScopes ?? {}).map(([pattern, account]) => [pattern, { access: "$all", publish: account, unpublish: account }])),
      "**": { access: "$all", publish: "$authenticated", unpublish: "$authenticated" },
    },
    middlewares: {
      [GUARD_PLUGIN_ID]: { enabled: true, maxBodyBytes: parseSize(maxBodySize) },
    },
    web: { enable: false },
    max_body_size: maxBodySize,
    log: { type: "stdout", format: "json", level: options.logLevel ?? "warn" },
    ...(options.tokenExpiresIn
      ? { security: { api: { legacy: false, jwt: { sign: { expiresIn: options.tokenExpiresIn } } } } }
      : {}),
    server: { keepAliveTimeout: 60 },
  };
}

/** Parses Verdaccio/bytes-style sizes (`50mb`, `10kb`, `1048576`) into bytes. */
export function parseSize(size: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(size);
  if (!match) throw new Error(`invalid size "${size}" (expected e.g. "50mb")`);
  const unit = (match[2] ?? "b").toLowerCase();
  const factor = unit === "gb" ? 1024 ** 3 : unit === "mb" ? 1024 ** 2 : unit === "kb" ? 1024 : 1;
  return Math.floor(Number(match[1]) * factor);
}
