/**
 * @tessera/marketplace — the plugin marketplace: an embedded, offline Verdaccio
 * registry run as a supervised child process, the publish-time manifest guard,
 * and HTTP helpers for accounts, search and packuments.
 *
 * @module
 */

export { startRegistry, waitForPing, findFreePort } from "./registry.js";
export type { Registry, RegistryEvents, RegistryState, StartRegistryOptions } from "./registry.js";
export { buildVerdaccioConfig, parseSize, GUARD_PLUGIN_ID, VERDACCIO_PLUGINS_DIR } from "./config.js";
export type { RegistryConfigOptions } from "./config.js";
export { checkPublishBody, createManifestGuard, formatErrors, readPackageJsonFromTarball } from "./manifest-guard.js";
export type { PublishCheck, ManifestGuardOptions } from "./manifest-guard.js";
export { addAccount, listAccounts, htpasswdFile, ISSUED_MARK } from "./accounts.js";
export type { RegistryAccount } from "./accounts.js";
export { createUser, login, search, packument, npmrcFor, encodePackageName, publishTarball, RegistryHttpError } from "./publishers.js";
export type { SearchHit, SearchResult, Packument } from "./publishers.js";
