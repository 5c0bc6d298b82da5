/**
 * `@tessera/sdk/runtime` — node-only: the host side of plugins. The isolate
 * runtime that loads a plugin bundle, the capability interfaces a host
 * implements, and the SSRF-guarded fetch. The kernel and the plugin test
 * harness both run plugins through this, so a plugin behaves the same in both.
 *
 * @packageDocumentation
 */
export * from './capabilities.js';
export * from './plugin-runtime.js';
export * from './runtime-base.js';
export * from './isolate-runtime.js';
export * from './node-runtime.js';
export * from './guarded-fetch.js';
export { DEFAULT_BRIDGE_LIMITS, type BridgeLimits } from './bridge-limits.js';
export { linkSignals } from './signals.js';
export { classifyAddress, classifyHostname, isLocalhostName, parseAllowPrivate, parseStrictAddress } from './address-policy.js';
export { PluginHostProcess, ProcessIsolateRuntime, sharedPluginHostProcess, type PluginHostProcessOptions, type ProcessIsolateRuntimeOptions } from './process-runtime.js';
